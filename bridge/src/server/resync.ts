import { existsSync } from "node:fs";
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import cron, { type ScheduledTask } from "node-cron";
import { MappingUnconfirmedError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { loadMapping, saveMapping } from "../mapping/store.js";
import { computeMappingHash } from "../mapping/types.js";
import { computeSnapshotHash } from "../snapshot/snapshot.js";
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
  /** Agreement reference recorded as the GDPR authorisation of each re-sync run. */
  gdprAgreement: string;
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
 * Write the configured mapping for a re-sync snapshot. A person confirmed the mapping's content
 * for an earlier snapshot. Configuring the re-sync extends that confirmation to each snapshot it
 * pulls, so the confirmation is kept and bound to the new snapshot hash. A mapping whose content
 * changed since its confirmation raises `MappingUnconfirmedError`, as it would for `migrate`.
 */
async function carryConfirmation(
  source: string,
  snapshotDir: string,
  target: string,
  logger: Logger,
): Promise<void> {
  const mapping = await loadMapping(source);
  const confirmation = mapping.confirmation;
  if (!confirmation || confirmation.mappingHash !== computeMappingHash(mapping)) {
    throw new MappingUnconfirmedError(
      `re-sync mapping ${source} is not confirmed for its current content; review it, then run ` +
        `netmera-odoo map SNAPSHOT --confirm --by NAME --mapping ${source}`,
    );
  }

  const snapshotHash = await computeSnapshotHash(snapshotDir, logger);
  await saveMapping(target, { ...mapping, confirmation: { ...confirmation, snapshotHash } });
  logger.info(
    { by: confirmation.by, at: confirmation.at, snapshotHash },
    "re-sync keeps the mapping confirmation for the new snapshot",
  );
}

/**
 * Re-sync on a schedule during the cut-over window: pull a fresh snapshot, plan it with the
 * confirmed mapping and migrate it into a run authorised under the configured agreement. `migrate` is called without a run id, so it finds or creates
 * the run for that snapshot. The content hash of each plan row lets Odoo skip unchanged records,
 * so only what changed since the last run is written. A tick that finds the previous re-sync
 * still running is skipped and logged, never queued.
 */
export function scheduleResync(options: ResyncOptions): ResyncSchedule {
  const { jobs, manager, dataDir, logger } = options;
  const plansDir = join(dataDir.root, "resync");

  /**
   * Re-sync whose migrate stopped for the owner queue. Its run waits for people in Odoo, so the
   * next tick migrates the same plan into the same run instead of pulling a new snapshot, which
   * would open one more run that waits in the same way.
   */
  let waiting: string | undefined;

  const migrateOnly = async (name: string, context: Parameters<JobRunners["plan"]>[1]) => {
    const folder = join(plansDir, name);
    context.logger.info(
      { snapshotId: name },
      "re-sync continues the run that waits for its owner queue, without a new pull",
    );
    context.onProgress({ step: "migrate" });
    const result = await jobs.migrate(
      {
        runId: null,
        planDir: join(folder, "plan-out"),
        mappingFile: join(folder, "mapping.json"),
        gdprAgreement: options.gdprAgreement,
      },
      context,
    );
    return { snapshotId: name, result };
  };

  const work = async (name: string, context: Parameters<JobRunners["plan"]>[1]) => {
    try {
      const done =
        name === waiting ? await migrateOnly(name, context) : await pullAndMigrate(name, context);
      waiting = undefined;
      return done;
    } catch (error) {
      if ((error as { code?: unknown }).code === "owners_pending") waiting = name;
      throw error;
    } finally {
      // Failed re-syncs count too, because each contains a snapshot with push tokens.
      await removeOldest(dataDir.snapshotsDir(), options.keep, context.logger);
      await removeOldest(plansDir, options.keep, context.logger);
    }
  };

  const pullAndMigrate = async (name: string, context: Parameters<JobRunners["plan"]>[1]) => {
    const snapshotDir = dataDir.snapshotDir(name);
    const folder = join(plansDir, name);
    const planDir = join(folder, "plan-out");

    context.onProgress({ step: "pull" });
    await jobs.pull({ runId: null, outDir: snapshotDir }, context);

    context.onProgress({ step: "plan" });
    await mkdir(folder, { recursive: true });
    const mappingFile = join(folder, "mapping.json");
    await carryConfirmation(options.mappingFile, snapshotDir, mappingFile, context.logger);
    await jobs.plan({ runId: null, snapshotDir, mappingFile, outDir: planDir }, context);

    context.onProgress({ step: "migrate" });
    const gdprAgreement = options.gdprAgreement;
    const result = await jobs.migrate(
      { runId: null, planDir, mappingFile, gdprAgreement },
      context,
    );
    return { snapshotId: name, result };
  };

  const trigger = (): JobRecord | null => {
    if (manager.isRunning(RESYNC_KEY)) {
      logger.warn("skipped: previous re-sync still running");
      return null;
    }

    const name =
      waiting !== undefined && existsSync(join(plansDir, waiting, "plan-out"))
        ? waiting
        : `resync-${new Date().toISOString().replace(/[:.]/g, "-")}`;
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
