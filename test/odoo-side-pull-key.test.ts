import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { runPull } from "../bridge/src/netmera/pull.js";
import type { PullOptions } from "../bridge/src/netmera/pull-options.js";
import { API_KEY, makeDataset, SINCE, UNTIL } from "./fixtures/pull/dataset.js";
import { makeExportsDir } from "./fixtures/pull/exports-dir.js";
import { startNetmeraServer, type NetmeraServer } from "./support/netmera-server.js";

const servers: NetmeraServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function options(out: string, apiKey: string): Promise<PullOptions> {
  const server = await startNetmeraServer({ apiKey: API_KEY, dataset: makeDataset() });
  servers.push(server);
  return {
    out,
    exportsDir: await makeExportsDir(),
    apiKey,
    baseUrl: server.url,
    since: SINCE,
    until: UNTIL,
    requestsPerSecond: 1000,
    concurrency: 2,
    timeoutMs: 1000,
    backoff: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 100 },
    logger: silentLogger,
    progress: new PassThrough(),
  };
}

const WRONG_KEY =
  "Netmera GET /rest/3.0/app/profile-attributes failed: HTTP 403, Netmera code 2010: " +
  "Invalid API key (check NETMERA_API_KEY)";

describe("pull with a wrong API key", () => {
  it("removes the folder it created", async () => {
    const out = join(await mkdtemp(join(tmpdir(), "oside-pull-")), "snapshot");

    await expect(runPull(await options(out, "wrong-key"))).rejects.toThrow(WRONG_KEY);

    expect(servers[0]!.requests.map((request) => request.url)).toEqual([
      "/rest/3.0/app/profile-attributes",
    ]);
    expect(existsSync(out)).toBe(false);
  });

  it("empties a folder that existed", async () => {
    const out = join(await mkdtemp(join(tmpdir(), "oside-pull-")), "snapshot");
    await mkdir(out);

    await expect(runPull(await options(out, "wrong-key"))).rejects.toThrow(WRONG_KEY);

    expect(await readdir(out)).toEqual([]);
  });

  it("pulls into the same folder afterwards", async () => {
    const out = join(await mkdtemp(join(tmpdir(), "oside-pull-")), "snapshot");
    await expect(runPull(await options(out, "wrong-key"))).rejects.toThrow(WRONG_KEY);

    const result = await runPull(await options(out, API_KEY));

    expect(result.resumed).toBe(false);
    expect(Object.keys(result.manifest.files)).toContain("profile-attributes.json");
    expect(Object.keys(result.manifest.files).some((path) => path.startsWith("users/"))).toBe(true);
  });
});
