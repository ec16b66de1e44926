import { MigrationStoppedError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { batchItems, runPool, type BatchLimits } from "../odoo/batching.js";
import type { OdooClient } from "../odoo/client.js";
import { RUN_MODEL } from "../odoo/preflight.js";
import type { ErrorLog } from "./error-log.js";
import { OwnersPendingError, rematchOwners, toPendingOwners, type PendingOwner } from "./owners.js";
import {
  readPlanLines,
  type PlanLine,
  type PlannedPhase,
  type PlanReconciliation,
} from "./plan-files.js";
import type { PhaseProgress } from "./progress.js";
import {
  reconcilePhase,
  type OdooPhaseCounts,
  type PhaseReconciliation,
} from "./reconciliation.js";
import { rowKey, selectedCount, type SampleSelection } from "./sample.js";

/**
 * The phase runner: each phase streams its plan file in batches through `import_batch`,
 * several batches in flight, skipping batch numbers Odoo already committed for this run.
 * Phases are barriers: a phase starts only after every batch of the previous one committed.
 */

export interface ImportBatchResult {
  batch_no: number;
  replayed: boolean;
  created: number;
  updated: number;
  unchanged: number;
  errors: { index: number; xml_id: string | false; field: string | false; message: string }[];
  unmatched_owners?: unknown[];
}

export interface PhaseRunnerOptions {
  client: OdooClient;
  logger: Logger;
  runId: number;
  phases: PlannedPhase[];
  limits: BatchLimits;
  concurrency: number;
  progress: PhaseProgress;
  errorLog: ErrorLog;
  planReconciliation: Map<string, PlanReconciliation>;
  selection?: SampleSelection;
  /** Milliseconds between progress reports to the run record. */
  reportIntervalMs?: number;
  /** Called after each phase with its reconciliation row. */
  onPhaseDone?: (row: PhaseReconciliation) => void;
  /** Once aborted, no new phase or batch starts (see `MigrateRequest.signal`). */
  signal?: AbortSignal;
}

interface PhaseTally {
  unmatchedOwners: PendingOwner[];
}

/** The last batch known to be committed, from which a stopped run resumes. */
interface StopMark {
  phase: string | undefined;
  batch: number;
}

/**
 * The run stopped on request. `phase` and `batch` name the last batch committed before the
 * stop (batch 0 when none was); every batch before it in that phase committed too.
 */
export class RunStoppedError extends MigrationStoppedError {
  constructor(
    message: string,
    readonly phase: string | undefined,
    readonly batch: number,
  ) {
    super(message);
  }
}

export async function runPhases(options: PhaseRunnerOptions): Promise<PhaseReconciliation[]> {
  const rows: PhaseReconciliation[] = [];
  const mark: StopMark = { phase: undefined, batch: 0 };
  for (const phase of options.phases) {
    stopIfAborted(options, phase.definition.name, mark);
    if (phase.definition.waitsForOwners) {
      await assertOwnersCleared(options, phase);
    }

    const tally = await runPhase(options, phase, mark);
    if (tally.unmatchedOwners.length > 0) {
      options.logger.info(
        { phase: phase.definition.name, queued: tally.unmatchedOwners.length },
        "owners without an Odoo user were queued",
      );
    }

    const odooCounts = await readOdooCounts(options, phase);
    const row = reconcilePhase({
      phase,
      planned: options.planReconciliation.get(phase.definition.name),
      sampleRows: options.selection ? selectedCount(phase, options.selection) : undefined,
      odoo: odooCounts,
    });
    rows.push(row);
    options.onPhaseDone?.(row);
  }

  return rows;
}

async function runPhase(
  options: PhaseRunnerOptions,
  phase: PlannedPhase,
  mark: StopMark,
): Promise<PhaseTally> {
  const { client, runId, progress } = options;
  const name = phase.definition.name;
  const total = selectedCount(phase, options.selection);
  const tally: PhaseTally = { unmatchedOwners: [] };
  const committed = new Set(
    await client.executeKw<number[]>(RUN_MODEL, "get_committed_batches", [[runId], name]),
  );
  const reporter = progressReporter(options, name, total);
  progress.start(name, total);
  options.logger.info({ phase: name, rows: total, committed: committed.size }, "phase started");

  const batches = batchItems(selectRows(phase, options.selection), options.limits);
  const concurrency = phase.definition.serial ? 1 : options.concurrency;
  const noteCommitted = (no: number): void => {
    if (mark.phase !== name) Object.assign(mark, { phase: name, batch: 0 });
    mark.batch = Math.max(mark.batch, no);
  };
  const pool = runPool(batches, concurrency, async (batch) => {
    stopIfAborted(options, name);
    if (committed.has(batch.no)) {
      noteCommitted(batch.no);
      progress.skip(batch.items.length);
      return;
    }

    const rows = batch.items.map(({ row }) => ({
      xml_id: row.xml_id,
      values: row.values,
      hash: row.hash,
    }));
    const result = await client.executeKw<ImportBatchResult>(
      RUN_MODEL,
      "import_batch",
      [[runId], name, batch.no, rows],
      {},
      {
        model: phase.definition.model,
        method: "import_batch",
        context: `phase ${name}, batch ${batch.no}`,
      },
    );
    tally.unmatchedOwners.push(...toPendingOwners(result.unmatched_owners));
    options.errorLog.record(name, batch.no, batch.items, result.errors ?? []);
    options.logger.debug(
      { phase: name, batch: batch.no, rows: rows.length, replayed: result.replayed },
      "batch committed",
    );
    noteCommitted(batch.no);
    progress.advance(batch.items.length);
    reporter.maybeReport(progress.doneRows);
  });
  // The pool rethrows a stop only after the batches in flight settled, so the mark is final.
  await pool.catch((error: unknown) => {
    if (error instanceof MigrationStoppedError && !(error instanceof RunStoppedError)) {
      throw new RunStoppedError(error.message, mark.phase, mark.batch);
    }
    throw error;
  });

  progress.finish();
  await reporter.report(progress.doneRows);
  return tally;
}

/**
 * Throw `MigrationStoppedError` once the signal is aborted. Thrown inside the pool's worker, it
 * stops the pool from reading further batches while the ones in flight finish.
 */
function stopIfAborted(options: PhaseRunnerOptions, phase: string, mark?: StopMark): void {
  if (!options.signal?.aborted) return;

  const message =
    `migration of run ${options.runId} stopped on request in phase ${phase}, after the batches ` +
    "in flight committed; run it again to resume from Odoo's checkpoint";
  throw mark
    ? new RunStoppedError(message, mark.phase, mark.batch)
    : new MigrationStoppedError(message);
}

/** Rows of a phase, narrowed to the sample when there is one, sized for batching. */
async function* selectRows(
  phase: PlannedPhase,
  selection: SampleSelection | undefined,
): AsyncGenerator<{ item: PlanLine; bytes: number }> {
  const keys = selection?.get(phase.definition.name);
  for await (const line of readPlanLines(phase.path, phase.file)) {
    if (keys && !keys.has(rowKey(phase.definition.name, line.row, line.line))) continue;

    yield { item: line, bytes: line.bytes };
  }
}

/**
 * Stop before a phase that needs owners while any wait in the queue. The queue is matched
 * again first, so users created since the owners phase ran count.
 */
async function assertOwnersCleared(
  options: PhaseRunnerOptions,
  phase: PlannedPhase,
): Promise<void> {
  const pending = await rematchOwners(options.client, options.runId, options.logger);
  if (pending.length === 0) return;

  throw new OwnersPendingError(options.runId, phase.definition.name, pending);
}

/**
 * Sum the phase's row counts over the run's batch checkpoints in Odoo, earlier attempts
 * included. The ledger counts records instead (a campaign row can also create its medium), so
 * it cannot balance against plan rows.
 */
async function readOdooCounts(
  options: PhaseRunnerOptions,
  phase: PlannedPhase,
): Promise<OdooPhaseCounts> {
  const { client, runId } = options;
  const checkpoints = await client.executeKw<
    { created_count: number; updated_count: number; unchanged_count: number; error_count: number }[]
  >(
    "netmera.migration.checkpoint",
    "search_read",
    [
      [
        ["run_id", "=", runId],
        ["phase", "=", phase.definition.name],
      ],
    ],
    { fields: ["created_count", "updated_count", "unchanged_count", "error_count"] },
  );
  const counts: OdooPhaseCounts = { created: 0, updated: 0, unchanged: 0, errors: 0 };
  for (const checkpoint of checkpoints) {
    counts.created += checkpoint.created_count;
    counts.updated += checkpoint.updated_count;
    counts.unchanged += checkpoint.unchanged_count;
    counts.errors += checkpoint.error_count;
  }

  if (phase.definition.writtenAs !== "owner-queue-entries") {
    return counts;
  }

  const entries = await client.executeKw<number>("netmera.owner.queue", "search_count", [
    [["run_id", "=", runId]],
  ]);
  return { created: 0, updated: 0, unchanged: entries, errors: counts.errors };
}

/**
 * Send progress to the run record at most once per interval. A failed report is logged and the
 * import goes on, because the progress bar in Odoo is informational.
 */
function progressReporter(options: PhaseRunnerOptions, phase: string, total: number) {
  const interval = options.reportIntervalMs ?? 5000;
  let last = 0;
  let inFlight: Promise<void> | undefined;
  const report = async (done: number): Promise<void> => {
    last = Date.now();
    try {
      await options.client.executeKw(RUN_MODEL, "report_progress", [
        [options.runId],
        phase,
        done,
        total,
      ]);
    } catch (error) {
      options.logger.warn({ phase, err: (error as Error).message }, "progress report failed");
    }
  };
  return {
    maybeReport(done: number): void {
      if (inFlight || Date.now() - last < interval) return;

      inFlight = report(done).finally(() => {
        inFlight = undefined;
      });
    },
    async report(done: number): Promise<void> {
      await inFlight;
      await report(done);
    },
  };
}
