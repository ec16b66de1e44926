import type { Logger } from "../core/log.js";
import { OdooClient } from "../odoo/client.js";
import { createApp } from "./app.js";
import { describeSettings, type ServeSettings } from "./config.js";
import { JobManager } from "./job-manager.js";
import type { JobRunners } from "./jobs.js";
import { odooJobReporter, type OdooCaller } from "./odoo-reporter.js";
import { realJobs } from "./real-jobs.js";
import { scheduleResync, type ResyncSchedule } from "./resync.js";
import { startServer, type RunningServer } from "./server.js";
import { DataDir, jobStateDir } from "./snapshot-store.js";

/**
 * Job reports are best effort: a few quick tries, so that an Odoo outage delays neither the
 * jobs (which retry on their own) nor shutdown by much.
 */
const REPORT_RETRY_POLICY = { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 1000 };

export interface RunningBridge extends RunningServer {
  manager: JobManager;
  resync: ResyncSchedule | null;
}

export interface StartBridgeOptions {
  logger: Logger;
  /** Job runners; the real commands by default. */
  jobs?: JobRunners;
  /** Receiver of job reports; by default an Odoo client built from the settings. */
  odoo?: OdooCaller | null;
  shutdownGraceMs?: number;
}

/**
 * Start everything `serve` runs: the API on its port, the Odoo job reporter and, when
 * configured, the re-sync schedule. `close()` shuts all of it down in order.
 */
export async function startBridge(
  settings: ServeSettings,
  options: StartBridgeOptions,
): Promise<RunningBridge> {
  const { logger } = options;
  logger.info({ settings: describeSettings(settings) }, "bridge starting");
  const jobs = options.jobs ?? realJobs(settings);
  const odoo =
    options.odoo !== undefined
      ? options.odoo
      : settings.odoo
        ? new OdooClient({
            ...settings.odoo,
            logger: logger.child({ component: "reporter" }),
            retry: REPORT_RETRY_POLICY,
          })
        : null;
  const reporter = odoo ? odooJobReporter({ odoo, logger }) : null;
  const manager = new JobManager({
    logger,
    onChange: reporter?.onChange,
    stateDir: jobStateDir(settings.dataDir),
  });
  const app = createApp({
    token: settings.token,
    logger,
    jobs,
    dataDir: settings.dataDir,
    manager,
    uploadLimits: settings.uploads,
  });
  const resync = settings.resync
    ? scheduleResync({
        cron: settings.resync.cron,
        timezone: settings.resync.timezone,
        mappingFile: settings.resync.mapping,
        keep: settings.resync.keep,
        gdprAgreement: settings.resync.gdprAgreement,
        jobs,
        manager,
        dataDir: new DataDir(settings.dataDir),
        logger: logger.child({ component: "resync" }),
      })
    : null;

  const server = await startServer({
    app,
    manager,
    host: settings.host,
    port: settings.port,
    logger,
    onClosing: async () => {
      await resync?.stop();
    },
    beforeExit: async () => {
      await reporter?.flush();
      if (odoo instanceof OdooClient) odoo.close();
    },
    shutdownGraceMs: options.shutdownGraceMs,
  });
  return { ...server, manager, resync };
}
