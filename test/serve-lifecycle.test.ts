import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startBridge, type RunningBridge } from "../bridge/src/server/bridge.js";
import type { ServeSettings } from "../bridge/src/server/config.js";
import { CANCELLED_MESSAGE } from "../bridge/src/server/job-manager.js";
import type { JobRunners } from "../bridge/src/server/jobs.js";
import { closeOnSignals } from "../bridge/src/server/server.js";
import { buildZip, captureLogger, MAPPING, recordingJobs } from "./serve-fixtures.js";

const TOKEN = "lifecycle-token-0123456789abcdefghij";
const ODOO_PASSWORD = "odoo-pw-Kq83!zz";
const NETMERA_KEY = "nm-key-5f1e2d3c4b5a";

let dataDir: string;
let bridge: RunningBridge | undefined;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "serve-life-"));
});

afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

function settings(overrides: Partial<ServeSettings> = {}): ServeSettings {
  return {
    host: "127.0.0.1",
    port: 0,
    dataDir,
    token: TOKEN,
    odoo: null,
    migrate: {},
    netmera: null,
    resync: null,
    uploads: {},
    chromiumPath: "/usr/bin/chromium",
    ...overrides,
  };
}

/**
 * Build a migrate job that imports "batches" of 40 ms each and checks its abort signal only
 * between batches, so the batch in flight always completes.
 */
function batchingJobs() {
  const committed: number[] = [];
  let started = 0;
  const { jobs } = recordingJobs();
  const migrate: JobRunners["migrate"] = async (_params, context) => {
    for (let batch = 1; batch <= 1000; batch += 1) {
      if (context.signal.aborted) break;
      started = batch;
      context.onProgress({ phase: "contacts", done: batch - 1, total: 1000 });
      await new Promise((resolve) => setTimeout(resolve, 40));
      committed.push(batch);
    }
    // A job that stops early throws, as `fetch` does on abort.
    context.signal.throwIfAborted();
    return { committed: committed.length };
  };
  return { jobs: { ...jobs, migrate }, committed, started: () => started };
}

async function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

describe("bridge shutdown", () => {
  it("lets the batch in flight finish, then stops", async () => {
    const { jobs, committed, started } = batchingJobs();
    const capture = captureLogger();
    bridge = await startBridge(settings(), { logger: capture.logger, jobs, odoo: null });
    const upload = await fetch(`${bridge.url}/snapshots`, {
      method: "POST",
      headers: { "x-bridge-token": TOKEN, "content-type": "application/zip" },
      body: new Uint8Array(buildZip([{ name: "owners.csv", data: "email\n" }])),
    });
    const { snapshotId } = (await upload.json()) as { snapshotId: string };
    const response = await post(`${bridge.url}/runs/12/migrate`, {
      snapshotId,
      mapping: MAPPING,
    });
    expect(response.status).toBe(202);
    const job = (await response.json()) as { id: string };
    while (committed.length < 3) await new Promise((resolve) => setTimeout(resolve, 10));

    const closing = bridge.close();
    await expect(fetch(`${bridge.url}/health`)).rejects.toThrow();
    await closing;

    const record = bridge.manager.get(job.id)!;
    expect(record.state).toBe("cancelled");
    expect(record.error).toBe(CANCELLED_MESSAGE);
    // Every batch that started also committed: shutdown waited for the one in flight.
    expect(committed.length).toBe(started());
    expect(committed.length).toBeLessThan(1000);
    const messages = capture.lines().map((line) => JSON.parse(line).msg);
    expect(messages).toContain("job stopped by shutdown");
    expect(messages.at(-1)).toBe("bridge stopped");
  });

  it("closes on SIGTERM and exits with 0", async () => {
    const capture = captureLogger();
    bridge = await startBridge(settings(), {
      logger: capture.logger,
      jobs: recordingJobs().jobs,
      odoo: null,
    });
    const exited = new Promise<number>((resolve) => {
      const detach = closeOnSignals(bridge!, capture.logger, (code) => {
        detach();
        resolve(code);
      });
      process.emit("SIGTERM", "SIGTERM");
    });
    expect(await exited).toBe(0);
    await expect(fetch(`${bridge.url}/health`)).rejects.toThrow();
    expect(capture.text()).toContain('"signal":"SIGTERM"');
  });
});

describe("bridge logs", () => {
  it("never contain the token, the Odoo password or the Netmera key", async () => {
    const capture = captureLogger();
    const failing: JobRunners = {
      ...recordingJobs().jobs,
      rollback: async (_params, context) => {
        context.logger.info({ odoo: { password: ODOO_PASSWORD }, apiKey: NETMERA_KEY }, "call");
        throw new Error("rollback exploded");
      },
    };
    bridge = await startBridge(
      settings({
        // Nothing listens on port 9: every job report fails and its failure is logged.
        odoo: { url: "http://127.0.0.1:9", db: "db", login: "admin", password: ODOO_PASSWORD },
        netmera: { baseUrl: "http://127.0.0.1:9", app: "demo", apiKey: NETMERA_KEY },
      }),
      { logger: capture.logger, jobs: failing },
    );

    await fetch(`${bridge.url}/runs/1`, { headers: { authorization: `Bearer ${TOKEN}` } });
    await fetch(`${bridge.url}/runs/1`, { headers: { "x-bridge-token": `${TOKEN}x` } });
    const rollback = await post(`${bridge.url}/runs/3/rollback`, {});
    expect(rollback.status).toBe(202);
    const job = (await rollback.json()) as { id: string };
    while (bridge.manager.get(job.id)?.state === "running") {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await bridge.close();

    const text = capture.text();
    expect(text).toContain('"msg":"bridge starting"');
    expect(text).toContain('"login":"admin"');
    expect(text).toContain("could not report the bridge job to Odoo");
    expect(text).toContain("rollback exploded");
    for (const secret of [TOKEN, ODOO_PASSWORD, NETMERA_KEY]) {
      expect(text).not.toContain(secret);
    }
  });
});
