/**
 * Benchmark of `pull` against the local Netmera test server: wall time, request rate and peak
 * memory for N users. The server runs in a child process, so the peak RSS printed is the
 * pull's own.
 *
 *   node --import tsx scripts/bench-pull.ts --users 20000
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { silentLogger } from "../bridge/src/core/log.js";
import { runPull } from "../bridge/src/netmera/pull.js";
import { startNetmeraServer, type NetmeraDataset } from "../test/support/netmera-server.js";

const API_KEY = "bench-key";

const { values } = parseArgs({
  options: {
    users: { type: "string", default: "20000" },
    serve: { type: "boolean", default: false },
    concurrency: { type: "string", default: "8" },
  },
});
const users = Number(values.users);

function dataset(count: number): NetmeraDataset {
  const ids = Array.from({ length: count }, (_, i) => `user-${String(i).padStart(8, "0")}`);
  return {
    profileAttributes: { standardProfileAttributes: [], customProfileAttributes: [] },
    events: { standardEvents: [], customEvents: [] },
    segments: [
      {
        id: "1",
        name: "All",
        type: "STANDARD",
        userCount: count,
        members: ids.map((id) => ({ externalId: id, email: `${id}@example.com` })),
      },
    ],
    installations: ids.map((id, i) => ({
      installationId: `inst-${i}`,
      platform: "ANDROID",
      extId: id,
      deviceToken: `token-${i}`,
    })),
    profiles: Object.fromEntries(ids.map((id) => [id, { name: id, email: `${id}@example.com` }])),
    devices: Object.fromEntries(
      ids.map((id) => [
        id,
        [{ platform: "ANDROID", token: "t", deviceModel: "X", pushPermitted: true }],
      ]),
    ),
    pushMessages: [],
    pushResults: {},
    inbox: {},
  };
}

if (values.serve) {
  const server = await startNetmeraServer({ apiKey: API_KEY, dataset: dataset(users) });
  process.stdout.write(`${server.url}\n`);
} else {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", import.meta.filename, "--serve", "--users", String(users)],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const url = await new Promise<string>((resolve) => {
    child.stdout.once("data", (chunk: Buffer) => resolve(chunk.toString("utf8").trim()));
  });
  const out = join(await mkdtemp(join(tmpdir(), "bench-pull-")), "snapshot");
  const started = Date.now();
  const result = await runPull({
    out,
    apiKey: API_KEY,
    baseUrl: url,
    requestsPerSecond: 1_000_000,
    concurrency: Number(values.concurrency),
    timeoutMs: 30_000,
    logger: silentLogger,
    progress: process.stderr,
    progressIntervalMs: 30_000,
  });
  const seconds = (Date.now() - started) / 1000;
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  child.kill();
  await rm(join(out, ".."), { recursive: true, force: true });
  process.stdout.write(
    `users ${users}: ${result.requests} requests in ${seconds.toFixed(1)} s ` +
      `(${(result.requests / seconds).toFixed(0)} req/s), peak RSS ${peakMiB.toFixed(0)} MiB\n`,
  );
}
