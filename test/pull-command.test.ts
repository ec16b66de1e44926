import { existsSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { Command } from "commander";
import { afterEach, describe, expect, it } from "vitest";
import { registerPull } from "../bridge/src/commands/pull.js";
import { silentLogger } from "../bridge/src/core/log.js";
import { API_KEY, makeDataset, SINCE, UNTIL } from "./fixtures/pull/dataset.js";
import { makeExportsDir } from "./fixtures/pull/exports-dir.js";
import { captureLogger } from "./serve-fixtures.js";
import { startNetmeraServer, type NetmeraServer } from "./support/netmera-server.js";

const servers: NetmeraServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

function text(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  return () => Buffer.concat(chunks).toString("utf8");
}

async function runCommand(args: string[], env: NodeJS.ProcessEnv, logger = silentLogger) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = text(stdout);
  const err = text(stderr);
  const program = new Command("netmera-odoo").exitOverride();
  program.configureOutput({ writeOut: () => undefined, writeErr: (line) => stderr.write(line) });
  registerPull(program, { stdout, stderr, env, logger });
  const error = await program.parseAsync(["node", "netmera-odoo", "pull", ...args]).then(
    () => undefined,
    (caught: unknown) => caught as Error,
  );
  return { error, stdout: out(), stderr: err() };
}

async function serverArgs() {
  const server = await startNetmeraServer({
    apiKey: API_KEY,
    dataset: makeDataset(),
    pageCaps: { deviceTokens: 5, segmentUsers: 2, pushResult: 10 },
  });
  servers.push(server);
  const out = join(await mkdtemp(join(tmpdir(), "pull-command-")), "snapshot");
  const args = [
    "--out",
    out,
    "--exports",
    await makeExportsDir(),
    "--base-url",
    server.url,
    "--since",
    SINCE.toISOString(),
    "--until",
    UNTIL.toISOString(),
    "--rate",
    "1000",
  ];
  return { server, out, args };
}

describe("pull command", () => {
  it("prints the coverage summary", async () => {
    const { out, args } = await serverArgs();

    const result = await runCommand(args, { NETMERA_API_KEY: API_KEY });

    expect(result.error).toBeUndefined();
    expect(result.stdout).toBe(
      `snapshot ${out}: 20 files, manifest written\n` +
        "coverage: 8 of 11 users (72.73%) are in an exported segment, 3 in none, 1 segments not exportable (see coverage.json)\n" +
        "requests: 43, retries: 0\n",
    );
    expect(result.stderr).toContain(
      "pull: segment 103 members: not exportable (CONNECTORS_SEGMENT)",
    );
    expect(result.stderr).not.toContain(API_KEY);
  });

  it("fails on a wrong key with the Netmera code", async () => {
    const { server, out, args } = await serverArgs();

    const result = await runCommand(args, { NETMERA_API_KEY: "wrong-key" });

    expect(result.error?.message).toBe(
      "Netmera GET /rest/3.0/app/profile-attributes failed: HTTP 403, Netmera code 2010: Invalid API key (check NETMERA_API_KEY)",
    );
    expect(server.requests).toHaveLength(1);
    // The key is checked before the exports are copied, and the new folder is removed again.
    expect(existsSync(out)).toBe(false);
  });

  it("reports a request that keeps failing once, as its error", async () => {
    const { server, args } = await serverArgs();
    server.inject({ endpoint: "app/profile-attributes", times: 5, response: { status: 503 } });
    const capture = captureLogger();

    const result = await runCommand(
      [...args, "--max-attempts", "2"],
      { NETMERA_API_KEY: API_KEY },
      capture.logger,
    );

    expect(result.error?.message).toContain("failed after 2 attempts");
    const warnings = capture
      .lines()
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .filter((line) => line.level >= 40);
    expect(warnings.filter((line) => line.msg.includes("failed after"))).toEqual([]);
  });

  it("requires NETMERA_API_KEY", async () => {
    const { server, args } = await serverArgs();

    const result = await runCommand(args, { NETMERA_API_KEY: " " });

    expect(result.error?.message).toBe(
      "NETMERA_API_KEY is not set; export the REST API key from Panel → Developers → API",
    );
    expect(server.requests).toHaveLength(0);
  });

  it.each([
    [["--page-size", "1001"], "1001 is above 1000, the most Netmera accepts per request."],
    [["--rate", "0"], '"0" is not a positive number.'],
    [["--since", "last year"], '"last year" is not an ISO 8601 date or time.'],
    [["--base-url", "ftp://host"], '"ftp://host" is not an http(s) URL.'],
    [["--source-time-zone", "Mars/Base"], '"Mars/Base" is not an IANA time zone name.'],
  ])("rejects %j", async (extra, message) => {
    const result = await runCommand(["--out", "x", ...extra], { NETMERA_API_KEY: API_KEY });

    expect(result.error).toBeDefined();
    expect(result.stderr).toContain(message);
  });
});
