import { ConfigError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { OdooClient, type OdooConnection } from "../odoo/client.js";
import { checkOdoo, RUN_MODEL } from "../odoo/preflight.js";
import type { RetryPolicy } from "../odoo/retry.js";
import { readRun, type RunRecord } from "./run-record.js";

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
      const counts = await client.executeKw<{
        deleted: number;
        restored: number;
        touched?: number;
        left_active?: string[];
      }>(RUN_MODEL, "rollback", [[run.id]], kwargs, { retry: ONE_TRY });
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
      // One call, so that the run is never authorised without the authoriser's name.
      await client.executeKw(RUN_MODEL, "action_confirm_gdpr", [[run.id], agreement], {
        authorised_by: by,
      });
      return readRun(client, run.id);
    },
    request.timeoutMs,
  );
}
