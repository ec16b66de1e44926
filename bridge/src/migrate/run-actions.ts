import { ConfigError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { OdooClient, QUICK_RETRY_POLICY, type OdooConnection } from "../odoo/client.js";
import { OdooConnectionError } from "../odoo/transport.js";
import { checkOdoo, RUN_MODEL } from "../odoo/preflight.js";
import type { RetryPolicy } from "../odoo/retry.js";
import { isEmptyRun, readRun, type RunRecord } from "./run-record.js";

/** The run-level actions that the Odoo buttons offer, for the command line. */

/** Seconds a rollback call may take: it undoes the whole run in one request. */
export const DEFAULT_ROLLBACK_TIMEOUT_MS = 3_600_000;

async function withRun<T>(
  connection: OdooConnection,
  logger: Logger,
  runId: number,
  work: (client: OdooClient, run: RunRecord) => Promise<T>,
  timeoutMs?: number,
): Promise<T> {
  const client = new OdooClient({ ...connection, logger, timeoutMs });
  try {
    await checkOdoo(client);
    const run = await readRun(client, runId);
    return await work(client, run);
  } finally {
    client.close();
  }
}

export interface RollbackResult {
  run: RunRecord;
  deleted: number;
  restored: number;
  /** Findings of people's work that `force` overrode; 0 without force. */
  touched: number;
  /** True when the run was rolled back before this call, which then changed nothing. */
  alreadyRolledBack: boolean;
  /** Languages the run activated that stay active because people use them. */
  leftActive: string[];
}

export interface RollbackOptions {
  /**
   * Seconds without a heartbeat after which a running run counts as interrupted and may be
   * rolled back; default: the addon's setting (2 minutes).
   */
  leaseSeconds?: number;
  /** Milliseconds the rollback call may take (default one hour). */
  timeoutMs?: number;
  /**
   * Roll back even though people changed, commented on or referenced records of the run
   * after it wrote them. Without it the addon rejects the rollback and names those records.
   */
  force?: boolean;
}

/**
 * Call the addon's `rollback`, the same method as the Rollback button on the run. The call is
 * sent once: a retry after a timeout would find the first rollback done and report nothing.
 */
export function rollbackRun(
  connection: OdooConnection,
  logger: Logger,
  runId: number,
  options: RollbackOptions = {},
): Promise<RollbackResult> {
  return withRun(
    connection,
    logger,
    runId,
    async (client, run) => {
      const kwargs: Record<string, unknown> = {};
      if (options.leaseSeconds !== undefined) kwargs.lease_seconds = options.leaseSeconds;
      if (options.force) kwargs.force = true;
      let counts: { deleted: number; restored: number; touched?: number; left_active?: string[] };
      try {
        counts = await client.executeKw(RUN_MODEL, "rollback", [[run.id]], kwargs, {
          retry: ONE_TRY,
        });
      } catch (error) {
        if (!(error instanceof OdooConnectionError)) throw error;
        throw await cutOffRollback(client, run, error, options);
      }
      return {
        run,
        deleted: counts.deleted,
        restored: counts.restored,
        touched: counts.touched ?? 0,
        leftActive: counts.left_active ?? [],
        // A second call still undoes lines a batch committed during the first one.
        alreadyRolledBack:
          run.state === "rolled_back" && counts.deleted === 0 && counts.restored === 0,
      };
    },
    options.timeoutMs ?? DEFAULT_ROLLBACK_TIMEOUT_MS,
  );
}

const ONE_TRY: RetryPolicy = { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 };

/**
 * The error for a rollback call that got no answer, saying what state the run is in. The
 * addon undoes a run in one database transaction (`rollback` commits nothing before its end),
 * so a rollback cut off by a dead Odoo changed nothing, and one Odoo is still working on is
 * invisible until it commits. The run's state, read again with a few quick tries, tells which.
 */
async function cutOffRollback(
  client: OdooClient,
  run: RunRecord,
  error: OdooConnectionError,
  options: RollbackOptions,
): Promise<OdooConnectionError> {
  const again =
    client.names.surface === "serve"
      ? "a rollback job again from the Rollback button on the run or with POST " +
        `/runs/${run.id}/rollback${options.force ? ' and the body {"force": true}' : ""}`
      : `netmera-odoo rollback --run ${run.id}` +
        (options.leaseSeconds !== undefined ? ` --lease ${options.leaseSeconds}` : "") +
        (options.force ? " --force" : "") +
        " with the same connection options";
  const cause =
    error.kind === "timeout"
      ? `Odoo did not answer the rollback of run ${run.id} in time (${error.message})`
      : error.kind === "refused" || error.kind === "dns"
        ? `The rollback of run ${run.id} did not reach Odoo (${error.message})`
        : `The connection to Odoo broke during the rollback of run ${run.id} (${error.message})`;
  const atomic =
    "The addon rolls a run back in one database transaction: all of it is undone, or none of it.";
  let state: string | undefined;
  try {
    const [row] = await client.executeKw<{ state: string }[]>(
      RUN_MODEL,
      "read",
      [[run.id]],
      { fields: ["state"] },
      { retry: QUICK_RETRY_POLICY },
    );
    state = row?.state;
  } catch {
    // Odoo is still unreachable, and the message below covers that case.
  }

  let where: string;
  if (state === "rolled_back") {
    where = `Run ${run.id} is rolled back in Odoo now: the rollback finished; nothing more to do.`;
  } else if (state !== undefined && error.kind === "timeout") {
    where =
      `Run ${run.id} is still ${state} in Odoo, and Odoo may still be rolling it back: the ` +
      "run turns rolled_back when it commits. Check the run in Odoo in a while; if it is still " +
      `${state} then, run ${again} (while the first rollback works, a second one is refused).`;
  } else if (state !== undefined) {
    where =
      `Run ${run.id} is still ${state} in Odoo: the rollback did not commit and nothing ` +
      `changed. Run ${again}.`;
  } else {
    where =
      "Odoo does not answer now, so the run's state is unknown: either rolled back entirely " +
      `or unchanged, never half undone. Once Odoo answers, run ${again}: it rolls the run ` +
      "back, or says that it was already rolled back.";
  }

  return new OdooConnectionError(
    error.kind,
    error.endpoint,
    error.method,
    `${cause}. ${atomic} ${where}`,
    { cause: error },
  );
}

/**
 * Record the controller's GDPR authorisation on a run, as the run form's button does. Odoo
 * stores the calling user; the name of the person who gave the authorisation goes into the
 * run's chatter beside it.
 */
export function authoriseRun(
  connection: OdooConnection,
  logger: Logger,
  request: { runId: number; by: string; agreement: string; timeoutMs?: number },
): Promise<RunRecord> {
  const by = request.by.trim();
  const agreement = request.agreement.trim();
  if (!by || !agreement) {
    throw new ConfigError("--by NAME and --agreement REF must not be empty");
  }

  return withRun(
    connection,
    logger,
    request.runId,
    async (client, run) => {
      if (isEmptyRun(run)) throw nothingToAuthorise(run);
      // One call, so that the run is never authorised without the authoriser's name.
      await client.executeKw(RUN_MODEL, "action_confirm_gdpr", [[run.id], agreement], {
        authorised_by: by,
      });
      return readRun(client, run.id);
    },
    request.timeoutMs,
  );
}

/**
 * Build the error for authorising a run made with New in Odoo. An authorisation covers one
 * snapshot under one confirmed mapping, and this run has neither yet.
 */
function nothingToAuthorise(run: RunRecord): ConfigError {
  return new ConfigError(
    `run ${run.id} ("${run.name}") has no snapshot or mapping yet, so there is nothing to ` +
      "authorise: it was created in Odoo with a name only. Give it the snapshot and the " +
      `confirmed mapping first: run netmera-odoo migrate SNAPSHOT --plan DIR --mapping FILE ` +
      `--run ${run.id} with the same connection options (it attaches both to the run and ` +
      "stops before writing anything, waiting for this authorisation), or click Upload " +
      "Snapshot and then Confirm Mapping on the run form. Then run authorise again.",
  );
}
