import { resolve } from "node:path";
import { ConfigError } from "../core/errors.js";
import type { Logger } from "../core/log.js";

export interface PlanStepRequest {
  /** Plan folder given by the user; when set it is used as it is. */
  planDir?: string;
  snapshotDir: string;
  mappingFile: string;
  logger: Logger;
}

/** Return the plan folder to import: the one given, or one the plan step writes first. */
export async function prepareMigratePlan(request: PlanStepRequest): Promise<string> {
  if (request.planDir) {
    return resolve(request.planDir);
  }

  // TODO: call the plan step into a work folder here once it exists in bridge/src/plan/.
  throw new ConfigError(
    `--plan DIR is needed: run netmera-odoo plan ${request.snapshotDir} --mapping ` +
      `${request.mappingFile} --out DIR first, then pass --plan DIR`,
  );
}
