import { Writable } from "node:stream";
import { BridgeError, ConfigError } from "../core/errors.js";
import { migrate } from "../migrate/migrate.js";
import { rollbackRun } from "../migrate/run-actions.js";
import type { OdooSettings, ServeSettings } from "./config.js";
import type { JobContext } from "./job-manager.js";
import type { JobRunners } from "./jobs.js";

/** A stream that turns each progress line a command writes into a job progress message. */
function progressLines(context: JobContext): Writable {
  let rest = "";
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      const lines = (rest + chunk.toString("utf8")).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) {
        if (line.trim()) context.onProgress({ message: line.trim().slice(0, 300) });
      }
      done();
    },
  });
}

function requireOdoo(settings: ServeSettings): OdooSettings {
  if (settings.odoo) return settings.odoo;

  throw new ConfigError(
    "this job writes to Odoo, but the bridge has no Odoo settings: set ODOO_URL, ODOO_DB, " +
      "ODOO_USER and ODOO_PASSWORD (or odooUrl, db, user, password in --config FILE)",
  );
}

function unavailable(name: string): () => Promise<never> {
  return async () => {
    throw new BridgeError(`the ${name} job is not available in this build of the bridge yet`);
  };
}

/** The job runners `serve` uses: the same functions as the `migrate`, `rollback` … commands. */
export function realJobs(settings: ServeSettings): JobRunners {
  return {
    pull: unavailable("pull"),
    plan: unavailable("plan"),
    inventory: unavailable("inventory"),

    migrate: async (params, context) => {
      const result = await migrate({
        planDir: params.planDir,
        mappingFile: params.mappingFile,
        connection: requireOdoo(settings),
        runId: params.runId ?? undefined,
        sampleSize: params.sampleSize,
        concurrency: settings.migrate.concurrency,
        limits: { maxRows: settings.migrate.batchRows, maxBytes: settings.migrate.batchBytes },
        logger: context.logger,
        progressStream: progressLines(context),
      });
      if (!result.balanced) {
        throw new BridgeError(
          `the reconciliation of run ${result.runId} does not balance; the run is marked failed`,
        );
      }

      return {
        runId: result.runId,
        runName: result.runName,
        phases: result.phases,
        errorCount: result.errorCount,
        errorsFile: result.errorsFile,
        sampleReport: result.sampleReport ?? null,
      };
    },

    rollback: async (params, context) => {
      const result = await rollbackRun(requireOdoo(settings), context.logger, params.runId);
      return { runId: result.run.id, deleted: result.deleted, restored: result.restored };
    },
  };
}
