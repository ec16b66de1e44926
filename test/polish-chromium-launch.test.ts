import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BridgeError } from "../bridge/src/core/errors.js";
import { createLogger } from "../bridge/src/core/log.js";
import { launchFailure, renderPdf } from "../bridge/src/inventory/render-pdf.js";

const FIX =
  'install Chromium ("apt-get install chromium") or pass a working one with --chromium or ' +
  "CHROMIUM_PATH";

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "polish-chromium-"));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

async function launchWith(chromiumPath: string): Promise<{ error: Error; debug: string[] }> {
  const out = new PassThrough();
  const lines: string[] = [];
  out.on("data", (chunk: Buffer) => lines.push(...chunk.toString("utf8").split("\n")));
  const logger = createLogger({ destination: out, level: "debug" });
  const error = await renderPdf("<p>x</p>", "<span></span>", join(root, "out.pdf"), {
    chromiumPath,
    logger,
    timeoutMs: 20_000,
  }).then(
    () => new Error("renderPdf resolved"),
    (failure: unknown) => failure as Error,
  );
  return { error, debug: lines.filter((line) => line !== "") };
}

describe("a Chromium that does not start", () => {
  it("gives one line with the path, the exit code and the fix", async () => {
    const { error, debug } = await launchWith("/bin/false");

    expect(error).toBeInstanceOf(BridgeError);
    expect(error.message).toBe(
      `Chromium at /bin/false failed to start: it exited with code 1; ${FIX}`,
    );
    // Playwright's launch log stays available at debug level.
    const record = debug
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((entry) => entry.msg === "Chromium launch failed");
    expect(record?.chromiumPath).toBe("/bin/false");
    expect(String(record?.launchLog)).toContain("<launching> /bin/false");
    expect(readdirSync(root)).toEqual([]);
  });

  it("adds the first line the program wrote to standard error", async () => {
    const fake = join(root, "chromium");
    writeFileSync(
      fake,
      "#!/bin/sh\necho 'chromium: error while loading shared libraries: libnss3.so' >&2\nexit 127\n",
    );
    chmodSync(fake, 0o755);

    const { error } = await launchWith(fake);

    expect(error.message).toBe(
      `Chromium at ${fake} failed to start: it exited with code 127 ` +
        `(chromium: error while loading shared libraries: libnss3.so); ${FIX}`,
    );
    expect(error.message).not.toContain("\n");
  });

  it("names a signal, and falls back to Playwright's first line", () => {
    const killed =
      "browserType.launchPersistentContext: closed\n  - <process did exit: exitCode=null, signal=SIGSEGV>";
    expect(launchFailure("/c", killed)).toBe(
      `Chromium at /c failed to start: it was stopped by signal SIGSEGV; ${FIX}`,
    );
    const timeout =
      "browserType.launchPersistentContext: Timeout 500ms exceeded.\nCall log:\n  - <launching> /c";
    expect(launchFailure("/c", timeout)).toBe(
      `Chromium at /c failed to start: Timeout 500ms exceeded; ${FIX}`,
    );
  });
});
