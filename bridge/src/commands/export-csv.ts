import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { runExportCsv } from "../export-csv/run-export.js";
import type { CliContext } from "./context.js";

interface ExportCsvFlags {
  plan: string;
  out: string;
  mapping?: string;
  ownerLogins?: string;
}

/** Return PLAN/mapping.json when it exists (`map --out DIR` and `plan --out DIR` leave it there), else ./mapping.json. */
function defaultMapping(planDir: string): string {
  const besidePlan = join(planDir, "mapping.json");
  return existsSync(besidePlan) ? besidePlan : "mapping.json";
}

export function registerExportCsv(program: Command, context: CliContext): void {
  program
    .command("export-csv")
    .description(
      "write an Odoo import package (CSV per model + IMPORT-GUIDE.md) for an Odoo without API access",
    )
    .argument("<snapshot>", "snapshot folder")
    .requiredOption("--plan <dir>", "folder written by `plan --out`")
    .requiredOption("--out <dir>", "new or empty folder for the package")
    .option(
      "--mapping <file>",
      "confirmed mapping.json (default: PLAN/mapping.json, else ./mapping.json)",
    )
    .option(
      "--owner-logins <file>",
      "owners.csv with an odoo_login column: the salesperson file names these logins instead of the owners' e-mails",
    )
    .action(async (snapshotDir: string, flags: ExportCsvFlags) => {
      const result = await runExportCsv({
        snapshotDir,
        planDir: flags.plan,
        mappingFile: flags.mapping ?? defaultMapping(flags.plan),
        outDir: flags.out,
        logger: context.logger,
        ...(flags.ownerLogins ? { ownerLoginsFile: flags.ownerLogins } : {}),
      });
      for (const file of result.files) {
        const note = file.optional ? "  (optional, see the guide)" : "";
        context.stdout.write(
          `${file.file.padEnd(34)} ${String(file.rows).padStart(8)} rows${note}\n`,
        );
      }
      context.stdout.write(
        `${result.customFields.length} custom fields to create first; see ${flags.out}/IMPORT-GUIDE.md\n`,
      );
    });
}
