import { ConfigError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { OdooClient, type OdooConnection } from "../odoo/client.js";
import { checkOdoo, RUN_MODEL } from "../odoo/preflight.js";
import { readRun, type RunRecord } from "./run-record.js";

/** The run-level actions that the Odoo buttons offer, for the command line. */

async function withRun<T>(
  connection: OdooConnection,
  logger: Logger,
  runId: number,
  work: (client: OdooClient, run: RunRecord) => Promise<T>,
): Promise<T> {
  const client = new OdooClient({ ...connection, logger });
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
}

/** Call the addon's `rollback`, the same method as the Rollback button on the run. */
export function rollbackRun(
  connection: OdooConnection,
  logger: Logger,
  runId: number,
): Promise<RollbackResult> {
  return withRun(connection, logger, runId, async (client, run) => {
    const counts = await client.executeKw<{ deleted: number; restored: number }>(
      RUN_MODEL,
      "rollback",
      [[run.id]],
    );
    return { run, deleted: counts.deleted, restored: counts.restored };
  });
}

/**
 * Record the controller's GDPR authorisation on a run, as the run form's button does. Odoo
 * stores the calling user; the name of the person who gave the authorisation goes into the
 * run's chatter beside it.
 */
export function authoriseRun(
  connection: OdooConnection,
  logger: Logger,
  request: { runId: number; by: string; agreement: string },
): Promise<RunRecord> {
  const by = request.by.trim();
  const agreement = request.agreement.trim();
  if (!by || !agreement) {
    throw new ConfigError("--by NAME and --agreement REF must not be empty");
  }

  return withRun(connection, logger, request.runId, async (client, run) => {
    await client.executeKw(RUN_MODEL, "action_confirm_gdpr", [[run.id], agreement]);
    await client.executeKw(RUN_MODEL, "message_post", [[run.id]], {
      body: `GDPR authorisation given by ${by} under agreement ${agreement}, recorded with netmera-odoo authorise.`,
    });
    return readRun(client, run.id);
  });
}
