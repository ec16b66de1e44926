import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, isRetryable, MigrationStoppedError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import {
  assertMappingConfirmed,
  computeMappingHash,
  mappingSchema,
  type MappingConfirmation,
  type Mapping,
} from "../mapping/types.js";
import { DEFAULT_BATCH_LIMITS, type BatchLimits } from "../odoo/batching.js";
import { OdooClient, QUICK_RETRY_POLICY, type OdooConnection } from "../odoo/client.js";
import { checkMappingTargets } from "../odoo/mapping-targets.js";
import { checkOdoo, RUN_MODEL } from "../odoo/preflight.js";
import { OdooConnectionError } from "../odoo/transport.js";
import type { RetryPolicy } from "../odoo/retry.js";
import { ErrorLog } from "./error-log.js";
import { RunHeartbeat } from "./heartbeat.js";
import { assertRunFree, recordStopped } from "./lease.js";
import { rematchOwners } from "./owners.js";
import {
  assertPlanFilesUnchanged,
  plannedPhases,
  readPlanManifest,
  readPlanReconciliation,
  type PlannedPhase,
} from "./plan-files.js";
import { PhaseProgress } from "./progress.js";
import {
  formatReconciliation,
  reconciliationPayload,
  type PhaseReconciliation,
} from "./reconciliation.js";
import {
  assertAuthorised,
  findOrCreateRun,
  type RunIdentity,
  type RunRecord,
} from "./run-record.js";
import { findMissingContacts, type MissingContacts } from "./missing-contacts.js";
import { buildSampleReport } from "./sample-report.js";
import { selectSample, type SampleSelection } from "./sample.js";
import { runPhases } from "./runner.js";
import { batchLimitsForRun } from "./state.js";

export const DEFAULT_CONCURRENCY = 3;

export interface MigrateRequest {
  /** Folder written by `plan --out DIR`. */
  planDir: string;
  /** Confirmed mapping.json; needed to start a run, optional to continue one by `runId`. */
  mappingFile?: string;
  /** Snapshot folder, named in the messages that tell what to run next. */
  snapshotDir?: string;
  connection: OdooConnection;
  runId?: number;
  /** Import this many contacts and what they need, as a sample run. */
  sampleSize?: number;
  concurrency?: number;
  limits?: Partial<BatchLimits>;
  logger: Logger;
  /** Progress lines go here (standard error). */
  progressStream: NodeJS.WritableStream;
  progressIntervalMs?: number;
  retry?: RetryPolicy;
  timeoutMs?: number;
  /**
   * Stops the import between batches: no new batch starts, the ones in flight commit, and the
   * run stays resumable. `migrate` then rejects with `MigrationStoppedError`.
   */
  signal?: AbortSignal;
  /** Milliseconds between heartbeats on the run (default 30 s). */
  heartbeatIntervalMs?: number;
  /**
   * Resume a running run even though its heartbeat is within the lease: the operator states
   * that the migrate which sent it is gone.
   */
  takeover?: boolean;
}

export interface MigrateResult {
  runId: number;
  runName: string;
  phases: PhaseReconciliation[];
  /** Every phase satisfies read = written + quarantined + skipped. */
  balanced: boolean;
  table: string;
  errorCount: number;
  errorsFile: string;
  firstErrors: string[];
  sampleReport?: string;
  /** After a full run: contacts earlier runs wrote that this plan no longer lists. */
  missingContacts?: MissingContacts;
}

/**
 * Import a plan into Odoo: check the server, find or create the run, check its authorisation,
 * then run every phase and store the reconciliation on the run. A failure marks the run failed
 * while Odoo responds, and running the same request again continues where it stopped.
 */
export async function migrate(request: MigrateRequest): Promise<MigrateResult> {
  const { logger, planDir } = request;
  const manifest = readPlanManifest(planDir);
  const phases = plannedPhases(planDir, manifest);
  await assertPlanUnchanged(request, phases);
  const confirmed = request.mappingFile ? loadConfirmedMapping(request, manifest) : undefined;
  const client = new OdooClient({
    ...request.connection,
    logger,
    retry: request.retry,
    timeoutMs: request.timeoutMs,
  });

  try {
    const preflight = await checkOdoo(client);
    logger.info({ version: preflight.version.serverVersion, db: client.db }, "Odoo checked");
    if (confirmed) {
      await checkMappingTargets(client, confirmed.mapping);
    }

    const selection = request.sampleSize
      ? await selectSample(phases, request.sampleSize)
      : undefined;

    const run = await openRun(client, request, manifest, confirmed);
    assertAuthorised(run, client);

    const limits = batchLimitsForRun(
      planDir,
      { url: client.url, db: client.db, runId: run.id },
      { ...DEFAULT_BATCH_LIMITS, ...definedOnly(request.limits ?? {}) },
      logger,
    );
    await assertRunFree(client, run, { planDir, takeover: request.takeover, logger });
    if (run.state === "running") {
      logger.info({ runId: run.id }, "run is still running in Odoo: resuming it");
    }
    // Starts or resumes the run, and refuses while another run of the database imports.
    await client.executeKw(RUN_MODEL, "begin_import", [[run.id]]);

    const heartbeat = new RunHeartbeat(client, run.id, logger, request.heartbeatIntervalMs);
    await heartbeat.start();
    try {
      // Owners an admin created users for since the last attempt stop waiting now.
      await rematchOwners(client, run.id, logger);
      return await importRun(request, client, run, phases, limits, selection);
    } catch (error) {
      if (error instanceof MigrationStoppedError || isRetryable(error)) {
        // No beat may follow the one recorded, or the next migrate would take it for another.
        await heartbeat.stop();
        await recordStopped(client, run, planDir, logger);
      }
      throw error;
    } finally {
      await heartbeat.stop();
    }
  } finally {
    client.close();
  }
}

async function importRun(
  request: MigrateRequest,
  client: OdooClient,
  run: RunRecord,
  phases: PlannedPhase[],
  limits: BatchLimits,
  selection: SampleSelection | undefined,
): Promise<MigrateResult> {
  const { logger, planDir } = request;
  const errorLog = new ErrorLog(join(planDir, `odoo-errors-run-${run.id}.csv`));
  let rows: PhaseReconciliation[];
  try {
    rows = await runPhases({
      client,
      logger,
      runId: run.id,
      phases,
      limits,
      concurrency: request.concurrency ?? DEFAULT_CONCURRENCY,
      progress: new PhaseProgress({
        stream: request.progressStream,
        lineIntervalMs: request.progressIntervalMs,
      }),
      errorLog,
      planReconciliation: readPlanReconciliation(planDir),
      selection,
      signal: request.signal,
    });
  } catch (error) {
    // After the retries ran out Odoo is down, and the run stays "running" until resumed;
    // a stop on request leaves it running too, so that the next attempt resumes.
    if (!isRetryable(error) && !(error instanceof MigrationStoppedError)) {
      await markFailed(client, run, (error as Error).message, logger);
    }

    if (error instanceof OdooConnectionError) {
      throw new OdooConnectionError(
        error.kind,
        error.endpoint,
        error.method,
        `${error.message} Run ${run.id} stays running in Odoo: ${client.names.continueRun} ` +
          "once Odoo answers, and it continues after the last committed batch" +
          `${client.names.takeoverNote}.`,
        { cause: error },
      );
    }

    throw error;
  }

  const table = formatReconciliation(rows);
  const balanced = rows.every((row) => row.balanced);
  if (balanced) {
    await client.executeKw(RUN_MODEL, "action_done", [[run.id], reconciliationPayload(rows)]);
  } else {
    await markFailed(client, run, `reconciliation does not balance:\n${table}`, logger);
  }

  const sampleReport =
    selection && balanced ? await buildSampleReport(client, run, selection, rows) : undefined;
  const contacts = phases.find((phase) => phase.definition.name === "contacts");
  const missingContacts =
    !selection && contacts
      ? await reportMissingContacts(client, run, contacts, planDir, logger)
      : undefined;
  return {
    runId: run.id,
    runName: run.name,
    phases: rows,
    balanced,
    table,
    errorCount: errorLog.count,
    errorsFile: errorLog.path,
    firstErrors: errorLog.firstErrors,
    sampleReport,
    missingContacts,
  };
}

/**
 * List the contacts earlier runs wrote that this snapshot no longer has, and note their number
 * on the run, so that people see users deleted in Netmera on the run form too.
 */
async function reportMissingContacts(
  client: OdooClient,
  run: RunRecord,
  contacts: PlannedPhase,
  planDir: string,
  logger: Logger,
): Promise<MissingContacts | undefined> {
  const file = join(planDir, `missing-contacts-run-${run.id}.csv`);
  let missing: MissingContacts;
  try {
    missing = await findMissingContacts(client, contacts, file, logger);
  } catch (error) {
    // The import is done and recorded; the list is a report, so its failure does not fail it.
    logger.warn(
      { runId: run.id, err: (error as Error).message },
      "could not list the contacts that earlier runs wrote and this snapshot lacks",
    );
    return undefined;
  }
  if (missing.count > 0) {
    await client.executeKw(RUN_MODEL, "message_post", [[run.id]], {
      body:
        `${missing.count} contact(s) that earlier runs wrote are not in this snapshot, so ` +
        "Netmera no longer has them (deleted or anonymised users). They stay in Odoo as they " +
        `are; the bridge listed them in ${file}. Archive or delete them if they should go.`,
    });
  }
  return missing;
}

/** Refuse, before anything reaches Odoo, a plan whose files changed (see assertPlanFilesUnchanged). */
async function assertPlanUnchanged(request: MigrateRequest, phases: PlannedPhase[]): Promise<void> {
  const rerun =
    request.snapshotDir && request.mappingFile
      ? `netmera-odoo plan ${request.snapshotDir} --mapping ${request.mappingFile} --out ${request.planDir}`
      : `netmera-odoo plan SNAPSHOT --mapping MAPPING --out ${request.planDir}`;
  await assertPlanFilesUnchanged(request.planDir, phases, {
    rerun,
    nothingDone: "nothing was sent to Odoo",
    command: "migrate",
  });
}

interface ConfirmedMapping {
  mapping: Mapping;
  text: string;
  hash: string;
  confirmation: MappingConfirmation;
}

/** Read mapping.json, require its confirmation, and require that the plan was made from it. */
function loadConfirmedMapping(
  request: MigrateRequest,
  manifest: { snapshotHash: string; mappingHash: string },
): ConfirmedMapping {
  const file = request.mappingFile!;
  let text: string;
  let data: unknown;
  try {
    text = readFileSync(file, "utf8");
    data = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`cannot read mapping ${file}: ${(error as Error).message}`);
  }

  const parsed = mappingSchema.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`${file} is not a mapping.json: ${problems.join("; ")}`);
  }

  const confirmation = assertMappingConfirmed(parsed.data, manifest.snapshotHash, {
    snapshotDir: request.snapshotDir,
    mappingFile: file,
  });
  const hash = computeMappingHash(parsed.data);
  if (hash !== manifest.mappingHash) {
    throw new ConfigError(
      `the plan in ${request.planDir} was made from another version of ${file} ` +
        `(plan ${manifest.mappingHash.slice(0, 12)}, mapping ${hash.slice(0, 12)}); run ` +
        `netmera-odoo plan again, or pass the plan made from this mapping with --plan`,
    );
  }

  return { mapping: parsed.data, text, hash, confirmation };
}

async function openRun(
  client: OdooClient,
  request: MigrateRequest,
  manifest: { snapshotHash: string; mappingHash: string },
  confirmed: ConfirmedMapping | undefined,
): Promise<RunRecord> {
  if (!confirmed && request.runId === undefined) {
    throw new ConfigError("--mapping FILE (the confirmed mapping.json) is needed to start a run");
  }

  const identity: RunIdentity = {
    snapshotHash: manifest.snapshotHash,
    mappingHash: manifest.mappingHash,
    mappingJson: confirmed?.text ?? "",
    confirmedBy: confirmed?.confirmation.by ?? "",
    confirmedAt: confirmed?.confirmation.at ?? "",
    sampleSize: request.sampleSize,
  };
  const { run, created } = await findOrCreateRun(client, identity, request.runId);
  request.logger.info({ runId: run.id, state: run.state, created }, "run opened");
  return run;
}

/** Record the failure on the run. If that fails too, it is logged and the original error stays. */
async function markFailed(
  client: OdooClient,
  run: RunRecord,
  message: string,
  logger: Logger,
): Promise<void> {
  try {
    await client.executeKw(
      RUN_MODEL,
      "action_fail",
      [[run.id], message.slice(0, 10_000)],
      {},
      { retry: QUICK_RETRY_POLICY },
    );
  } catch (error) {
    logger.error({ runId: run.id, err: (error as Error).message }, "could not mark the run failed");
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, entry]) => entry !== undefined),
  ) as Partial<T>;
}
