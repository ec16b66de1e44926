import { resolve } from "node:path";
import { ConfigError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { loadMapping } from "../mapping/store.js";
import {
  assertPlanFilesUnchanged,
  plannedPhases,
  readPlanManifest as readMigratePlanManifest,
} from "../migrate/plan-files.js";
import { assertMappingConfirmed, computeMappingHash } from "../mapping/types.js";
import { openSnapshot } from "../snapshot/snapshot.js";
import { buildPackage } from "./build-package.js";
import type { GuideInput } from "./guide.js";
import { readOwnerLogins } from "./owners.js";
import { readPlanManifest } from "./plan-reader.js";

export interface ExportCsvOptions {
  snapshotDir: string;
  planDir: string;
  mappingFile: string;
  outDir: string;
  logger: Logger;
  /** CSV in the form of `owners.csv` giving the Odoo login of owners whose login is not their e-mail. */
  ownerLoginsFile?: string;
}

/**
 * Check that the mapping is confirmed for this snapshot and that the plan was built from both,
 * then write the import package.
 */
export async function runExportCsv(options: ExportCsvOptions): Promise<GuideInput> {
  const mapping = await loadMapping(options.mappingFile);
  const ownerLogins = options.ownerLoginsFile
    ? await readOwnerLogins(options.ownerLoginsFile)
    : undefined;
  const snapshot = await openSnapshot(options.snapshotDir, { logger: options.logger });
  assertMappingConfirmed(mapping, snapshot.hash, {
    snapshotDir: options.snapshotDir,
    mappingFile: options.mappingFile,
  });

  const manifest = await readPlanManifest(options.planDir);
  const mappingHash = computeMappingHash(mapping);
  if (manifest.mappingHash !== mappingHash || manifest.snapshotHash !== snapshot.hash) {
    throw new ConfigError(
      `plan ${options.planDir} was built from another mapping or snapshot; run ` +
        `\`netmera-odoo plan ${options.snapshotDir} --mapping ${options.mappingFile} --out ${options.planDir}\` again`,
    );
  }

  // The package carries the plan into Odoo as migrate does, so it gets the same file check.
  const planManifest = readMigratePlanManifest(options.planDir);
  await assertPlanFilesUnchanged(options.planDir, plannedPhases(options.planDir, planManifest), {
    rerun: `netmera-odoo plan ${options.snapshotDir} --mapping ${options.mappingFile} --out ${options.planDir}`,
    nothingDone: "no import package was written",
    command: "export-csv",
  });

  const result = await buildPackage({
    planDir: options.planDir,
    manifest,
    outDir: resolve(options.outDir),
    logger: options.logger,
    ...(ownerLogins ? { ownerLogins } : {}),
  });
  options.logger.info(
    { outDir: options.outDir, files: result.files.length },
    "import package written",
  );
  return result;
}
