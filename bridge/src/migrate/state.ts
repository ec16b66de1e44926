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
  runs: Record<string, { batch: BatchLimits; startedAt: string }>;
}

function runKey(url: string, db: string, runId: number): string {
  return `${url} ${db} ${runId}`;
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
  const key = runKey(target.url, target.db, target.runId);
  const recorded = state.runs[key];
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
  const path = join(planDir, STATE_FILE);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
  return requested;
}
