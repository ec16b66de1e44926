import { ConfigError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { QUICK_RETRY_POLICY, type OdooClient } from "../odoo/client.js";
import { RUN_MODEL } from "../odoo/preflight.js";
import type { RunRecord } from "./run-record.js";
import { readReleasedHeartbeat, recordReleasedHeartbeat } from "./state.js";

/**
 * The check that keeps two bridges off one run. A running run whose heartbeat is younger than
 * its lease belongs to a live migrate, unless this plan folder recorded that its own migrate
 * stopped on request at that very heartbeat. Odoo owns the lease (see the addon's
 * `netmera_migration_run_lease.py`); its system parameter is read here only to name it.
 */

const LEASE_PARAM = "netmera_migration.lease_seconds";
const DEFAULT_LEASE_SECONDS = 120;

export interface LeaseCheck {
  planDir: string;
  /** The operator states that the other migrate is gone. */
  takeover?: boolean;
  logger: Logger;
}

interface LeaseFields {
  heartbeat_at: string | false;
  started_at: string | false;
  is_interrupted: boolean;
}

/** Odoo datetimes over XML-RPC are naive UTC text: `YYYY-MM-DD HH:MM:SS`. */
function parseOdooDatetime(text: string): number {
  return Date.parse(`${text.replace(" ", "T")}Z`);
}

/** `95` → `"1 min 35 s"`, as the addon writes durations. */
export function formatSeconds(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  const minutes = Math.floor(whole / 60);
  const rest = whole % 60;
  if (minutes === 0) return `${rest} s`;
  return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`;
}

async function leaseSeconds(client: OdooClient): Promise<number> {
  const value = await client.executeKw<string | false>("ir.config_parameter", "get_param", [
    LEASE_PARAM,
  ]);
  const seconds = Number.parseInt(String(value), 10);
  return Number.isInteger(seconds) && seconds > 0 ? seconds : DEFAULT_LEASE_SECONDS;
}

/**
 * Refuse to import a running run that another migrate still holds: its heartbeat is younger
 * than the lease. `--takeover` overrides; so does waiting until the lease has passed.
 */
export async function assertRunFree(
  client: OdooClient,
  run: RunRecord,
  check: LeaseCheck,
): Promise<void> {
  if (run.state !== "running") return;

  const [fields] = await client.executeKw<LeaseFields[]>(RUN_MODEL, "read", [[run.id]], {
    fields: ["heartbeat_at", "started_at", "is_interrupted"],
  });
  if (!fields || fields.is_interrupted) return;

  // A run that never showed a sign of life counts as interrupted in Odoo too.
  const last = fields.heartbeat_at || fields.started_at;
  if (!last) return;

  if (last === readReleasedHeartbeat(check.planDir, client.db, run.id)) {
    check.logger.info({ runId: run.id }, "run was stopped on request from this plan folder");
    return;
  }

  const age = (Date.now() - parseOdooDatetime(last)) / 1000;
  const lease = await leaseSeconds(client);
  if (check.takeover) {
    check.logger.warn(
      { runId: run.id, heartbeatAgeSeconds: Math.round(age), leaseSeconds: lease },
      "--takeover: resuming a run whose heartbeat is within the lease",
    );
    return;
  }

  throw new ConfigError(
    `run ${run.id} ("${run.name}") is being imported by another migrate: its last heartbeat ` +
      `came ${formatSeconds(age)} ago, within the lease of ${formatSeconds(lease)}, so nothing ` +
      "was sent to Odoo. Let that migrate finish, or stop it. If it is gone (killed, its " +
      "machine lost, or stopped while Odoo did not answer, so that it could not record its " +
      `stop), ${client.names.resumeNow} once no heartbeat has come for ` +
      `${formatSeconds(lease)}.`,
  );
}

/**
 * When migrate ends with its run still running (a stop on request, Odoo gone after the
 * retries), record the run's last heartbeat in the plan folder, so that the same command
 * resumes at once instead of waiting out the lease. A failure only costs that wait.
 */
export async function recordStopped(
  client: OdooClient,
  run: RunRecord,
  planDir: string,
  logger: Logger,
): Promise<void> {
  try {
    const [fields] = await client.executeKw<LeaseFields[]>(
      RUN_MODEL,
      "read",
      [[run.id]],
      { fields: ["heartbeat_at", "started_at", "is_interrupted"] },
      { retry: QUICK_RETRY_POLICY },
    );
    const last = fields?.heartbeat_at || fields?.started_at;
    if (last) recordReleasedHeartbeat(planDir, { db: client.db, runId: run.id }, last);
  } catch (error) {
    logger.warn({ runId: run.id, err: (error as Error).message }, "could not record the stop");
  }
}
