import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../bridge/src/core/log.js";
import { runCli } from "./support/cli.js";

/** Create a human-format logger at warn, as the binary does, and read back what it wrote. */
function capturedLogger(): { logger: ReturnType<typeof createLogger>; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  const logger = createLogger({ level: "warn", destination: stream, format: "human" });
  return { logger, text: () => Buffer.concat(chunks).toString("utf8") };
}

describe("global log options", () => {
  it("rejects an unknown --log-level", async () => {
    const result = await runCli(["--log-level", "loud", "audit", "x", "--out", "y"]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("option '--log-level <level>' argument 'loud' is invalid");
  });

  it("logs debug lines with --log-level debug", async () => {
    const log = capturedLogger();

    const result = await runCli(
      ["--log-level", "debug", "audit", "/nonexistent/snapshot", "--out", "/tmp"],
      {},
      log.logger,
    );

    expect(result.code).toBe(1);
    expect(log.text()).toMatch(/^debug: command failed/m);
  });

  it("keeps debug lines out by default", async () => {
    const log = capturedLogger();

    const result = await runCli(
      ["audit", "/nonexistent/snapshot", "--out", "/tmp"],
      {},
      log.logger,
    );

    expect(result.code).toBe(1);
    expect(log.text()).toBe("");
  });
});
