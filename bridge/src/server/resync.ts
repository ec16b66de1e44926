import { existsSync } from "node:fs";
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import cron, { type ScheduledTask } from "node-cron";
import type { Logger } from "../core/log.js";
import type { JobManager, JobRecord } from "./job-manager.js";
import type { JobRunners } from "./jobs.js";
import type { DataDir } from "./snapshot-store.js";

/** Key of the re-sync job in the job manager; at most one re-sync runs at a time. */
export const RESYNC_KEY = "resync";

export interface ResyncOptions {
  /** node-cron expression; six fields give second precision. */
  cron: string;
  timezone?: string;
  /** Confirmed mapping.json that every re-sync plans with. */
  mappingFile: string;
  /** Re-sync snapshots and plans kept on disk. */
  keep: number;
  jobs: JobRunners;
  manager: JobManager;
  dataDir: DataDir;
  logger: Logger;
}

export interface ResyncSchedule {
  /** Run one re-sync now, as a tick would; returns the job, or null when one is still running. */
  trigger(): JobRecord | null;
  /** Stop ticking; a running re-sync goes on until the job manager shuts down. */
  stop(): Promise<void>;
}

async function removeOldest(dir: string, keep: number, logger: Logger): Promise<void> {
  if (!existsSync(dir)) return;
  const names = (await readdir(dir)).filter((name) => name.startsWith("resync-")).sort();
  for (const name of names.slice(0, Math.max(0, names.length - keep))) {
    await rm(join(dir, name), { recursive: true, force: true });
    logger.info({ folder: join(dir, name) }, "removed old re-sync folder");
  }
}

/**
 * Re-sync on a schedule during the cut-over window: pull a fresh snapshot, plan it with the
 * confirmed mapping and migrate it. `migrate` is called without a run id, so it finds or creates
 * the run for that snapshot. The content hash of each plan row lets Odoo skip unchanged records,
 * so only what changed since the last run is written. A tick that finds the previous re-sync
 * still running is skipped and logged, never queued.
 */
export function scheduleResync(options: ResyncOptions): ResyncSchedule {
  const { jobs, manager, dataDir, logger } = options;
  const plansDir = join(dataDir.root, "resync");

  const work = async (name: string, context: Parameters<JobRunners["plan"]>[1]) => {
    const snapshotDir = dataDir.snapshotDir(name);
    const planDir = join(plansDir, name);

    context.onProgress({ step: "pull" });
    await jobs.pull({ runId: null, outDir: snapshotDir }, context);

    context.onProgress({ step: "plan" });
    await mkdir(plansDir, { recursive: true });
    await jobs.plan(
      { runId: null, snapshotDir, mappingFile: options.mappingFile, outDir: planDir },
      context,
    );

    context.onProgress({ step: "migrate" });
    const mappingFile = options.mappingFile;
    const result = await jobs.migrate({ runId: null, planDir, mappingFile }, context);

    await removeOldest(dataDir.snapshotsDir(), options.keep, context.logger);
    await removeOldest(plansDir, options.keep, context.logger);
    return { snapshotId: name, result };
  };

  const trigger = (): JobRecord | null => {
    if (manager.isRunning(RESYNC_KEY)) {
      logger.warn("skipped: previous re-sync still running");
      return null;
    }

    const name = `resync-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    logger.info({ snapshotId: name }, "re-sync started");
    return manager.start(RESYNC_KEY, "resync", null, (context) => work(name, context));
  };

  const task: ScheduledTask = cron.schedule(
    options.cron,
    () => {
      try {
        trigger();
      } catch (error) {
        logger.error({ err: error }, "re-sync could not start");
      }
    },
    { name: "netmera-odoo re-sync", timezone: options.timezone },
  );
  logger.info({ cron: options.cron, timezone: options.timezone }, "re-sync scheduled");

  return {
    trigger,
    stop: async () => {
      await task.stop();
      await task.destroy();
    },
  };
}
