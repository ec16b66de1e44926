import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { JobManager } from "../bridge/src/server/job-manager.js";
import type { JobRunners } from "../bridge/src/server/jobs.js";
import { scheduleResync, type ResyncSchedule } from "../bridge/src/server/resync.js";
import { DataDir } from "../bridge/src/server/snapshot-store.js";
import { captureLogger, gate, recordingJobs } from "./serve-fixtures.js";

let root: string;
let schedule: ResyncSchedule | undefined;
let manager: JobManager | undefined;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "serve-resync-"));
});

afterEach(async () => {
  await schedule?.stop();
  await manager?.shutdown();
  rmSync(root, { recursive: true, force: true });
});

async function until(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("scheduled re-sync", () => {
  it("skips ticks while the previous re-sync runs", async () => {
    const hold = gate();
    const { jobs, calls } = recordingJobs();
    let starts = 0;
    const slowPull: JobRunners["pull"] = async (params, context) => {
      starts += 1;
      if (starts === 1) await hold.promise;
      return jobs.pull(params, context);
    };
    const capture = captureLogger();
    manager = new JobManager({ logger: capture.logger });
    schedule = scheduleResync({
      cron: "* * * * * *",
      mappingFile: join(root, "mapping.json"),
      keep: 3,
      jobs: { ...jobs, pull: slowPull },
      manager,
      dataDir: new DataDir(root),
      logger: capture.logger,
    });
    const skips = () =>
      capture.lines().filter((line) => line.includes("skipped: previous re-sync still running"))
        .length;

    // Every second a tick comes; the first re-sync is held open across three of them.
    await until(() => skips() >= 3);
    expect(starts).toBe(1);
    expect(calls).toEqual([]);

    hold.open();
    await until(() => starts === 2);
    await until(() => !manager!.isRunning("resync"));
    await schedule.stop();
    const skipped = skips();
    await new Promise((resolve) => setTimeout(resolve, 1500));

    expect(starts).toBe(2);
    expect(skips()).toBe(skipped);
    expect(calls.map((call) => call.job)).toEqual([
      "pull",
      "plan",
      "migrate",
      "pull",
      "plan",
      "migrate",
    ]);
    const firstPull = calls[0]?.params as { outDir: string; runId: null };
    expect(firstPull.runId).toBeNull();
    expect(firstPull.outDir).toMatch(/snapshots\/resync-\d{4}-\d\d-\d\dT[\d-]+Z$/);
    expect(calls[1]?.params).toEqual({
      runId: null,
      snapshotDir: firstPull.outDir,
      mappingFile: join(root, "mapping.json"),
      outDir: join(root, "resync", firstPull.outDir.split("/").at(-1)!),
    });
    expect(calls[2]?.params).toEqual({
      runId: null,
      planDir: join(root, "resync", firstPull.outDir.split("/").at(-1)!),
      mappingFile: join(root, "mapping.json"),
    });
  });

  it("keeps only the newest re-sync folders", async () => {
    const { jobs } = recordingJobs();
    const writing: JobRunners = {
      ...jobs,
      pull: async (params) => {
        mkdirSync(params.outDir, { recursive: true });
        return {};
      },
      plan: async (params) => {
        mkdirSync(params.outDir, { recursive: true });
        return {};
      },
    };
    mkdirSync(join(root, "snapshots", "upload-0123456789abcdef"), { recursive: true });
    const capture = captureLogger();
    manager = new JobManager({ logger: capture.logger });
    schedule = scheduleResync({
      cron: "0 0 1 1 *",
      mappingFile: join(root, "mapping.json"),
      keep: 2,
      jobs: writing,
      manager,
      dataDir: new DataDir(root),
      logger: capture.logger,
    });

    for (let round = 0; round < 4; round += 1) {
      expect(schedule.trigger()).not.toBeNull();
      await manager.settled("resync");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }

    const snapshots = readdirSync(join(root, "snapshots")).sort();
    expect(snapshots).toHaveLength(3);
    expect(snapshots).toContain("upload-0123456789abcdef");
    expect(readdirSync(join(root, "resync"))).toHaveLength(2);
  });
});
