import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../core/log.js";
import type { BatchLimits } from "../odoo/batching.js";

/**
 * Local state of the runs made from one plan folder: the batch limits each run started with.
 * Batch numbers depend on them, so a resumed run must cut its batches the same way even when
 * it is started with other options; Odoo keeps which numbers committed.
 */

export const STATE_FILE = "migrate-state.json";

interface StateFile {
  runs: Record<string, { batch: BatchLimits; startedAt: string; releasedAt?: string }>;
}

/**
 * The key leaves the URL out, because the same run reached through another address (a proxy,
 * http instead of https) must find its limits. Otherwise its batches would be numbered
 * differently, and committed numbers would skip rows that never went to Odoo.
 */
function runKey(db: string, runId: number): string {
  return `${db} ${runId}`;
}

/** The recorded limits of a run, also under the `<url> <db> <run>` keys of older versions. */
function recordedRun(state: StateFile, db: string, runId: number) {
  const key = runKey(db, runId);
  const legacy = Object.keys(state.runs).find((name) => name.endsWith(` ${key}`));
  return state.runs[key] ?? (legacy === undefined ? undefined : state.runs[legacy]);
}

function readState(planDir: string): StateFile {
  const path = join(planDir, STATE_FILE);
  if (!existsSync(path)) return { runs: {} };

  return JSON.parse(readFileSync(path, "utf8")) as StateFile;
}

/**
 * Return the batch limits to use for a run: the recorded ones when the run started before,
 * else `requested`, which are then recorded (written to a temporary file and renamed, so a kill
 * never leaves half a file).
 */
export function batchLimitsForRun(
  planDir: string,
  target: { url: string; db: string; runId: number },
  requested: BatchLimits,
  logger: Logger,
): BatchLimits {
  const state = readState(planDir);
  const key = runKey(target.db, target.runId);
  const recorded = recordedRun(state, target.db, target.runId);
  if (recorded) {
    const differs =
      recorded.batch.maxRows !== requested.maxRows ||
      recorded.batch.maxBytes !== requested.maxBytes;
    if (differs) {
      logger.warn(
        { runId: target.runId, recorded: recorded.batch, requested },
        "run continues with the batch limits it started with",
      );
    }

    return recorded.batch;
  }

  state.runs[key] = { batch: requested, startedAt: new Date().toISOString() };
  writeState(planDir, state);
  return requested;
}

/** Written to a temporary file and renamed, so a kill never leaves half a file. */
function writeState(planDir: string, state: StateFile): void {
  const path = join(planDir, STATE_FILE);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

/**
 * Record the run's last heartbeat (Odoo's text) when migrate stopped on request: while no
 * heartbeat follows it, no other bridge has taken the run, and the next migrate from this plan
 * folder may resume at once.
 */
export function recordReleasedHeartbeat(
  planDir: string,
  target: { db: string; runId: number },
  heartbeatAt: string,
): void {
  const state = readState(planDir);
  const recorded = recordedRun(state, target.db, target.runId);
  if (!recorded) return;

  recorded.releasedAt = heartbeatAt;
  writeState(planDir, state);
}

export function readReleasedHeartbeat(
  planDir: string,
  db: string,
  runId: number,
): string | undefined {
  return recordedRun(readState(planDir), db, runId)?.releasedAt;
}
