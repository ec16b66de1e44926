import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { confirmMapping, loadMapping, saveMapping } from "../bridge/src/mapping/store.js";
import { computeMappingHash, type Mapping } from "../bridge/src/mapping/types.js";
import { OwnersPendingError } from "../bridge/src/migrate/owners.js";
import { JobManager } from "../bridge/src/server/job-manager.js";
import type { JobRunners } from "../bridge/src/server/jobs.js";
import { scheduleResync, type ResyncSchedule } from "../bridge/src/server/resync.js";
import { DataDir } from "../bridge/src/server/snapshot-store.js";
import { computeSnapshotHash } from "../bridge/src/snapshot/snapshot.js";
import { captureLogger, gate, recordingJobs } from "./serve-fixtures.js";

let root: string;
let schedule: ResyncSchedule | undefined;
let manager: JobManager | undefined;

const MAPPING: Mapping = {
  version: 1,
  snapshotHash: "0".repeat(64),
  proposedAt: "2026-12-01T09:00:00.000Z",
  settings: { eventConsolidationThreshold: 10, arraySeparator: ";" },
  entries: [],
  confirmation: null,
};

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), "serve-resync-"));
  const confirmed = confirmMapping(MAPPING, "Ayşe Reviewer", "0".repeat(64), new Date(0));
  await saveMapping(join(root, "mapping.json"), confirmed);
});

/** Pull stand-in that writes a one-file snapshot, so the snapshot has a hash. */
const writingPull: JobRunners["pull"] = async (params) => {
  mkdirSync(params.outDir, { recursive: true });
  writeFileSync(join(params.outDir, "owners.csv"), "email\na@example.com\n");
  return {};
};

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
      await writingPull(params, context);
      return jobs.pull(params, context);
    };
    const capture = captureLogger();
    manager = new JobManager({ logger: capture.logger });
    schedule = scheduleResync({
      cron: "* * * * * *",
      mappingFile: join(root, "mapping.json"),
      keep: 3,
      gdprAgreement: "DPA-2026-01",
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
    const folder = join(root, "resync", firstPull.outDir.split("/").at(-1)!);
    expect(calls[1]?.params).toEqual({
      runId: null,
      snapshotDir: firstPull.outDir,
      mappingFile: join(folder, "mapping.json"),
      outDir: join(folder, "plan-out"),
    });
    expect(calls[2]?.params).toEqual({
      runId: null,
      planDir: join(folder, "plan-out"),
      mappingFile: join(folder, "mapping.json"),
      gdprAgreement: "DPA-2026-01",
    });

    // The person's confirmation carries over, bound to the snapshot this re-sync pulled.
    const carried = await loadMapping(join(folder, "mapping.json"));
    expect(carried.confirmation).toEqual({
      by: "Ayşe Reviewer",
      at: "1970-01-01T00:00:00.000Z",
      mappingHash: computeMappingHash(MAPPING),
      snapshotHash: await computeSnapshotHash(firstPull.outDir, capture.logger),
    });
  });

  it("keeps only the newest re-sync folders", async () => {
    const { jobs } = recordingJobs();
    const writing: JobRunners = {
      ...jobs,
      pull: writingPull,
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
      gdprAgreement: "DPA-2026-01",
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

  it("continues a run that waits for owners instead of pulling again", async () => {
    const { jobs, calls } = recordingJobs();
    let migrations = 0;
    const waitingJobs: JobRunners = {
      ...jobs,
      pull: async (params, context) => {
        await writingPull(params, context);
        return jobs.pull(params, context);
      },
      plan: async (params, context) => {
        mkdirSync(params.outDir, { recursive: true });
        return jobs.plan(params, context);
      },
      migrate: async (params, context) => {
        migrations += 1;
        await jobs.migrate(params, context);
        if (migrations <= 2) throw new OwnersPendingError(7, "contacts", []);
        return { created: 0 };
      },
    };
    const capture = captureLogger();
    manager = new JobManager({ logger: capture.logger });
    schedule = scheduleResync({
      cron: "0 0 1 1 *",
      mappingFile: join(root, "mapping.json"),
      keep: 3,
      gdprAgreement: "DPA-2026-01",
      jobs: waitingJobs,
      manager,
      dataDir: new DataDir(root),
      logger: capture.logger,
    });

    for (let round = 0; round < 4; round += 1) {
      expect(schedule.trigger()).not.toBeNull();
      await manager.settled("resync");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }

    // Pulled once, waited twice on the same plan, then a fresh pull after the run finished.
    expect(calls.map((call) => call.job)).toEqual([
      "pull",
      "plan",
      "migrate",
      "migrate",
      "migrate",
      "pull",
      "plan",
      "migrate",
    ]);
    const plans = calls
      .filter((call) => call.job === "migrate")
      .map((call) => (call.params as { planDir: string }).planDir);
    expect(new Set(plans.slice(0, 3)).size).toBe(1);
    expect(plans[3]).not.toBe(plans[0]);
    expect(readdirSync(join(root, "snapshots"))).toHaveLength(2);
  });

  it("removes old folders of failed re-syncs too", async () => {
    const { jobs } = recordingJobs();
    const failing: JobRunners = {
      ...jobs,
      pull: async (params, context) => {
        await writingPull(params, context);
        throw new Error("Netmera unreachable");
      },
    };
    const capture = captureLogger();
    manager = new JobManager({ logger: capture.logger });
    schedule = scheduleResync({
      cron: "0 0 1 1 *",
      mappingFile: join(root, "mapping.json"),
      keep: 2,
      gdprAgreement: "DPA-2026-01",
      jobs: failing,
      manager,
      dataDir: new DataDir(root),
      logger: capture.logger,
    });

    for (let round = 0; round < 4; round += 1) {
      expect(schedule.trigger()).not.toBeNull();
      await manager.settled("resync");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }

    expect(readdirSync(join(root, "snapshots"))).toHaveLength(2);
  });

  it("fails a re-sync whose mapping changed after its confirmation", async () => {
    const edited = confirmMapping(MAPPING, "Ayşe Reviewer", "0".repeat(64));
    edited.settings.arraySeparator = "|";
    await saveMapping(join(root, "mapping.json"), edited);
    const { jobs, calls } = recordingJobs();
    const capture = captureLogger();
    manager = new JobManager({ logger: capture.logger });
    schedule = scheduleResync({
      cron: "0 0 1 1 *",
      mappingFile: join(root, "mapping.json"),
      keep: 2,
      gdprAgreement: "DPA-2026-01",
      jobs: { ...jobs, pull: writingPull },
      manager,
      dataDir: new DataDir(root),
      logger: capture.logger,
    });

    const job = schedule.trigger()!;
    await manager.settled("resync");
    expect(manager.get(job.id)?.state).toBe("failed");
    expect(manager.get(job.id)?.error).toBe(
      `re-sync mapping ${join(root, "mapping.json")} is not confirmed for its current content; ` +
        `review it, then run netmera-odoo map SNAPSHOT --confirm --by NAME --mapping ` +
        join(root, "mapping.json"),
    );
    expect(calls).toEqual([]);
  });
});
