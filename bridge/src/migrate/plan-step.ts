import { createHash } from "node:crypto";
import { dirname, join, resolve } from "node:path";
import { ConfigError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { runPlan } from "../plan/run-plan.js";
import { planSnapshotMismatch } from "./plan-files.js";

export interface PlanStepRequest {
  /** Plan folder given by the user; when set it is used as it is. */
  planDir?: string;
  snapshotDir: string;
  mappingFile: string;
  logger: Logger;
  /** Stream for the plan step's progress lines. */
  progress?: NodeJS.WritableStream;
}

/**
 * Return the plan folder to import: the one given, or one that the plan step writes first. The
 * work folder's name depends only on the snapshot and mapping paths, so a resumed migrate finds
 * the batch limits it recorded there. A given plan must have been made from the snapshot named
 * on the command line, so that a newer snapshot is never answered with an older plan.
 */
export async function prepareMigratePlan(request: PlanStepRequest): Promise<string> {
  if (request.planDir) {
    const planDir = resolve(request.planDir);
    await assertPlanOfSnapshot(planDir, request);
    return planDir;
  }

  const key = createHash("sha256")
    .update(`${resolve(request.snapshotDir)}\u0000${resolve(request.mappingFile)}`)
    .digest("hex")
    .slice(0, 12);
  // Beside the mapping: that folder is the user's own (map --out), while the snapshot stays
  // exactly as its manifest lists it.
  const outDir = join(dirname(resolve(request.mappingFile)), "netmera-odoo-work", `plan-${key}`);
  request.logger.info({ outDir }, "no --plan given: running the plan step first");
  await runPlan({
    snapshotDir: request.snapshotDir,
    mappingFile: request.mappingFile,
    outDir,
    logger: request.logger,
    progress: request.progress,
  });
  return outDir;
}

/**
 * Open the snapshot (its files are checked against its manifest) and refuse it when the plan
 * was made from a snapshot with another hash. Runs before Odoo is contacted.
 */
async function assertPlanOfSnapshot(planDir: string, request: PlanStepRequest): Promise<void> {
  const mismatch = await planSnapshotMismatch(planDir, request.snapshotDir, request.logger);
  if (!mismatch) return;

  throw new ConfigError(
    `${mismatch}, so nothing was sent to Odoo. Plan this snapshot first ` +
      `(netmera-odoo plan ${request.snapshotDir} --mapping ${request.mappingFile} --out ` +
      `${planDir}), then run migrate again; to import the older plan, pass the snapshot it ` +
      "was made from.",
  );
}
