import { readFile } from "node:fs/promises";
import { Writable } from "node:stream";
import { BridgeError, ConfigError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { attachInventoryPdf, fetchRunReconciliation } from "../inventory/odoo-run.js";
import { writeInventory } from "../inventory/write-inventory.js";
import { loadMapping } from "../mapping/store.js";
import { migrate } from "../migrate/migrate.js";
import { readPlanManifest } from "../migrate/plan-files.js";
import { findOrCreateRun } from "../migrate/run-record.js";
import { rollbackRun } from "../migrate/run-actions.js";
import { runPull } from "../netmera/pull.js";
import { OdooClient, QUICK_RETRY_POLICY } from "../odoo/client.js";
import { RUN_MODEL } from "../odoo/preflight.js";
import { SERVE_SETTING_NAMES } from "../odoo/setting-names.js";
import { runPlan } from "../plan/run-plan.js";
import type { OdooSettings, ServeSettings } from "./config.js";
import type { JobContext } from "./job-manager.js";
import type { JobRunners, MigrateParams } from "./jobs.js";

/** Defaults of the `pull` command, for the settings the config file leaves out. */
export const PULL_DEFAULTS = { requestsPerSecond: 5, concurrency: 4, timeoutMs: 30_000 };

/** Create a stream that turns each progress line of a command into a job progress message. */
function progressLines(context: JobContext): Writable {
  let rest = "";
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      const lines = (rest + chunk.toString("utf8")).split(/\r?\n|\r/);
      rest = lines.pop() ?? "";
      for (const line of lines) {
        if (line.trim()) context.onProgress({ message: line.trim().slice(0, 300) });
      }
      done();
    },
  });
}

/** The Odoo connection of a job; its messages name the settings serve reads, not flags. */
function requireOdoo(settings: ServeSettings): OdooSettings {
  if (settings.odoo) return { ...settings.odoo, names: SERVE_SETTING_NAMES };

  throw new ConfigError(
    "this job writes to Odoo, but the bridge has no Odoo settings: set ODOO_URL, ODOO_DB, " +
      "ODOO_USER and ODOO_PASSWORD (or odooUrl, db, user, password in --config FILE)",
  );
}

/**
 * Attach the inventory PDF to its run as the `inventory --run` command does (replacing the
 * run's earlier one), and post it in the run's chatter so that the person who pressed the
 * button sees it arrive.
 */
async function attachToRun(client: OdooClient, runId: number, pdfFile: string): Promise<number> {
  const attached = await attachInventoryPdf(client, runId, pdfFile);
  await client.executeKw(RUN_MODEL, "message_post", [[runId]], {
    body: attached.replaced
      ? "Written inventory rendered again by the bridge; the PDF replaces the earlier one."
      : "Written inventory rendered by the bridge.",
    attachment_ids: [attached.attachmentId],
  });
  return attached.attachmentId;
}

/**
 * Find or create the run for a plan, as `migrate` would, and record the GDPR authorisation under
 * `params.gdprAgreement` when the run has none yet. Re-sync runs start unattended, so the
 * agreement named in the re-sync settings replaces the person who clicks the button.
 */
async function authorisedRun(
  connection: OdooSettings,
  logger: Logger,
  params: MigrateParams,
): Promise<number> {
  if (!params.mappingFile) {
    throw new ConfigError("a re-sync run needs the confirmed mapping file to start a run");
  }

  const manifest = readPlanManifest(params.planDir);
  const mappingText = await readFile(params.mappingFile, "utf8");
  const confirmation = (await loadMapping(params.mappingFile)).confirmation;
  const client = new OdooClient({ ...connection, logger });
  try {
    const { run } = await findOrCreateRun(
      client,
      {
        snapshotHash: manifest.snapshotHash,
        mappingHash: manifest.mappingHash,
        mappingJson: mappingText,
        confirmedBy: confirmation?.by ?? "",
        confirmedAt: confirmation?.at ?? "",
      },
      undefined,
    );
    if (!run.authorisedAt) {
      await client.executeKw(RUN_MODEL, "action_confirm_gdpr", [[run.id], params.gdprAgreement]);
      logger.info({ runId: run.id, agreement: params.gdprAgreement }, "re-sync run authorised");
    }
    return run.id;
  } finally {
    client.close();
  }
}

/** Build the job runners of `serve` from the functions behind the `pull`, `plan` … commands. */
export function realJobs(settings: ServeSettings): JobRunners {
  return {
    pull: async (params, context) => {
      const netmera = settings.netmera;
      const apiKey = netmera?.apiKey?.trim();
      if (!netmera || !apiKey) {
        throw new ConfigError(
          "pull needs the Netmera settings: a netmera section in --config FILE and the REST " +
            "API key in NETMERA_API_KEY",
        );
      }

      const result = await runPull({
        out: params.outDir,
        exportsDir: netmera.exportsDir,
        apiKey,
        baseUrl: netmera.baseUrl,
        app: netmera.app,
        sourceTimeZone: netmera.sourceTimeZone,
        pageSize: netmera.pageSize,
        inbox: netmera.inbox,
        requestsPerSecond: netmera.requestsPerSecond ?? PULL_DEFAULTS.requestsPerSecond,
        concurrency: netmera.concurrency ?? PULL_DEFAULTS.concurrency,
        timeoutMs: netmera.timeoutMs ?? PULL_DEFAULTS.timeoutMs,
        logger: context.logger,
        progress: progressLines(context),
      });
      return {
        files: Object.keys(result.manifest.files).length,
        pulledAt: result.manifest.pulledAt,
        requests: result.requests,
        retries: result.retries,
        coverage: result.coverage,
      };
    },

    plan: async (params, context) => {
      const result = await runPlan({
        snapshotDir: params.snapshotDir,
        mappingFile: params.mappingFile,
        outDir: params.outDir,
        logger: context.logger,
        progress: progressLines(context),
      });
      return {
        snapshotHash: result.snapshotHash,
        mappingHash: result.mappingHash,
        unconfirmedReason: result.unconfirmedReason ?? null,
        phases: result.phases,
        quarantineRows: result.quarantineRows,
        flagRows: result.flagRows,
      };
    },

    migrate: async (params, context) => {
      // On shutdown the signal stops migrate between batches. The batches in flight commit,
      // and the job is recorded as cancelled with a message to start it again.
      const connection = requireOdoo(settings);
      const runId =
        params.runId ??
        (params.gdprAgreement ? await authorisedRun(connection, context.logger, params) : null);
      const result = await migrate({
        planDir: params.planDir,
        mappingFile: params.mappingFile,
        connection,
        runId: runId ?? undefined,
        sampleSize: params.sampleSize,
        concurrency: settings.migrate.concurrency,
        limits: { maxRows: settings.migrate.batchRows, maxBytes: settings.migrate.batchBytes },
        logger: context.logger,
        progressStream: progressLines(context),
        signal: context.signal,
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
        // Contacts earlier runs wrote that this snapshot lacks, after a full run (see migrate).
        missingContacts: result.missingContacts ?? null,
      };
    },

    rollback: async (params, context) => {
      const result = await rollbackRun(requireOdoo(settings), context.logger, params.runId, {
        force: params.force === true,
      });
      return {
        runId: result.run.id,
        deleted: result.deleted,
        restored: result.restored,
        touched: result.touched,
      };
    },

    inventory: async (params, context) => {
      const runId = params.runId;
      // As the command line does: the run's reconciliation goes into the data-quality
      // section, with a few quick retries, since a person waits for the PDF.
      const client =
        settings.odoo && runId !== null
          ? new OdooClient({
              ...requireOdoo(settings),
              logger: context.logger,
              retry: QUICK_RETRY_POLICY,
            })
          : null;
      try {
        const run =
          client && runId !== null ? await fetchRunReconciliation(client, runId) : undefined;
        const written = await writeInventory({
          snapshotDir: params.snapshotDir,
          outDir: params.outDir,
          planDir: params.planDir ?? undefined,
          customer: params.customer,
          run,
          chromiumPath: settings.chromiumPath,
          logger: context.logger,
        });
        const attachmentId =
          client && runId !== null ? await attachToRun(client, runId, written.pdfFile) : null;
        return {
          htmlFile: written.htmlFile,
          pdfFile: written.pdfFile,
          pdfBytes: written.pdfBytes,
          attachmentId,
          reconciliation: run !== undefined,
        };
      } finally {
        client?.close();
      }
    },
  };
}
