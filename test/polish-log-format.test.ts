import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger, humanLogLine, setLogFormat } from "../bridge/src/core/log.js";
import { runCli } from "./support/cli.js";
import { REPO_ROOT } from "./support/odoo.js";

function capture(): { stream: PassThrough; lines: () => string[] } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  return {
    stream,
    lines: () =>
      Buffer.concat(chunks)
        .toString("utf8")
        .split("\n")
        .filter((line) => line !== ""),
  };
}

const SECRET = "odoo-pass-7f3a9c";
const TOKEN = "push-token-abc123";

function logWithSecrets(format: "human" | "json"): string[] {
  const out = capture();
  const logger = createLogger({ destination: out.stream, format, level: "warn" });
  logger.info({ runId: 2 }, "not shown at warn");
  logger.warn(
    {
      runId: 2,
      recorded: { maxRows: 20, maxBytes: 2000000 },
      odoo: { url: "http://127.0.0.1:8069", password: SECRET },
      token: TOKEN,
    },
    "run continues with the batch limits it started with",
  );
  return out.lines();
}

describe("human log lines", () => {
  it("writes a warning as one readable line with secrets redacted", () => {
    expect(logWithSecrets("human")).toEqual([
      "warning: run continues with the batch limits it started with (runId=2 " +
        "recorded.maxRows=20 recorded.maxBytes=2000000 odoo.url=http://127.0.0.1:8069 " +
        "odoo.password=[redacted] token=[redacted])",
    ]);
  });

  it("keeps JSON lines, secrets redacted, in the json format", () => {
    const lines = logWithSecrets("json");
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(record).toMatchObject({
      level: 40,
      runId: 2,
      msg: "run continues with the batch limits it started with",
      odoo: { url: "http://127.0.0.1:8069", password: "[redacted]" },
      token: "[redacted]",
    });
    expect(lines[0]).not.toContain(SECRET);
    expect(lines[0]).not.toContain(TOKEN);
  });

  it("quotes values with spaces and shows an error's message without its stack", () => {
    const line = JSON.stringify({
      level: 50,
      time: 1,
      file: "tags/a b.csv",
      err: { type: "Error", message: "disk full", stack: "Error: disk full\n    at x" },
      msg: "could not write",
    });
    expect(humanLogLine(line)).toBe(
      'error: could not write (file="tags/a b.csv" err="disk full")\n',
    );
    expect(humanLogLine("not json\n")).toBe("not json\n");
  });

  it("leaves a logger made without a format alone", () => {
    const out = capture();
    const logger = createLogger({ destination: out.stream, level: "warn" });
    expect(setLogFormat(logger, "human")).toBe(false);
    logger.warn("plain");
    expect(JSON.parse(out.lines()[0]!)).toMatchObject({ level: 40, msg: "plain" });
  });
});

describe("the CLI's warnings", () => {
  let root: string;
  let snapshot: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "polish-log-"));
    snapshot = join(root, "snapshot");
    cpSync(join(REPO_ROOT, "samples/small"), snapshot, { recursive: true });
    rmSync(join(snapshot, "manifest.json"));
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  async function audit(extra: string[]): Promise<{ code: number; log: string[] }> {
    const out = capture();
    const logger = createLogger({ destination: out.stream, format: "human", level: "warn" });
    const result = await runCli(
      [...extra, "audit", snapshot, "--out", join(root, "audit")],
      {},
      logger,
    );
    return { code: result.code, log: out.lines() };
  }

  it("prints a plain warning line by default", async () => {
    const { code, log } = await audit([]);
    expect(code).toBe(0);
    expect(log).toContain(
      `warning: snapshot has no manifest.json; hashing its files instead (root=${snapshot})`,
    );
    expect(log.filter((line) => line.startsWith("{"))).toEqual([]);
  });

  it("prints JSON lines with --log-format json", async () => {
    const { code, log } = await audit(["--log-format", "json"]);
    expect(code).toBe(0);
    const records = log.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toContainEqual(
      expect.objectContaining({
        level: 40,
        root: snapshot,
        msg: "snapshot has no manifest.json; hashing its files instead",
      }),
    );
  });

  it("rejects an unknown --log-format", async () => {
    const result = await runCli(["--log-format", "xml", "audit", snapshot]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "error: option '--log-format <format>' argument 'xml' is invalid. Allowed choices are human, json.",
    );
  });
});
