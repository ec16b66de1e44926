import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { formatReconciliation } from "../plan/reconciliation.js";
import { runPlan } from "../plan/run-plan.js";
import type { CliContext } from "./context.js";

/**
 * Return OUT/mapping.json when it exists (`map --out DIR` followed by `plan --out DIR`), else
 * ./mapping.json, where `map` writes by default. The mapping never defaults to a path inside
 * the snapshot: a file added there fails the manifest check, and a snapshot without a
 * manifest would get a new hash from it, which voids the mapping's own confirmation.
 */
export function defaultMappingFile(outDir: string): string {
  const besideOutput = join(outDir, "mapping.json");
  return existsSync(besideOutput) ? besideOutput : resolve("mapping.json");
}

interface PlanFlags {
  mapping?: string;
  out: string;
  progress?: boolean;
}

export function registerPlan(program: Command, context: CliContext): void {
  program
    .command("plan")
    .description(
      "Transform and validate a snapshot into Odoo-ready rows per phase, with quarantine, flags " +
        "and a reconciliation; writes nothing to Odoo",
    )
    .argument("<snapshot>", "snapshot folder")
    .option(
      "--mapping <file>",
      "mapping.json to apply (default: OUT/mapping.json, else ./mapping.json)",
    )
    .requiredOption(
      "--out <dir>",
      "folder for plan/, quarantine.csv, flags.csv, reconciliation.json",
    )
    .option("--no-progress", "do not print progress lines (rows/s) on standard error")
    .action(async (snapshot: string, flags: PlanFlags) => {
      const snapshotDir = resolve(snapshot);
      const result = await runPlan({
        snapshotDir,
        mappingFile: resolve(flags.mapping ?? defaultMappingFile(resolve(flags.out))),
        outDir: resolve(flags.out),
        logger: context.logger,
        progress: flags.progress === false ? undefined : context.stderr,
      });
      if (result.unconfirmedReason) {
        context.stderr.write(
          `warning: ${result.unconfirmedReason}; plan ran anyway because it writes nothing to ` +
            "Odoo, but migrate will refuse this mapping until it is confirmed " +
            `(netmera-odoo map ${snapshot} --confirm --by NAME)\n`,
        );
      }
      context.stdout.write(`${formatReconciliation(result.phases)}\n\n`);
      context.stdout.write(
        `plan written to ${result.outDir}: ${result.quarantineRows} quarantine rows, ` +
          `${result.flagRows} flags\n`,
      );
    });
}
