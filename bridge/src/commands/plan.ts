import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import { assertOnlyOwnFiles, assertOutsideSnapshot, planFolder } from "../core/out-dir.js";
import { formatReconciliation, historyDurationNote } from "../plan/reconciliation.js";
import { removeOwnWorkDirs } from "../plan/outputs.js";
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
  workers: number | "auto";
}

/** Parse `--workers`: "auto" or a whole number from 0 to 64. */
export function parseWorkers(text: string): number | "auto" {
  if (text === "auto") {
    return "auto";
  }
  const count = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  if (!(count >= 0 && count <= 64)) {
    throw new InvalidArgumentError(`invalid worker count "${text}": use auto or 0 to 64`);
  }
  return count;
}

export function registerPlan(program: Command, context: CliContext): void {
  program
    .command("plan")
    .description(
      "transform and validate a snapshot into Odoo-ready rows per phase, with quarantine, flags " +
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
    .option(
      "--workers <n>",
      "worker threads that build contacts: auto (one per core beyond the first, up to 4, for 50,000 rows or more, none on 2 cores) or 0 to 64; 0 builds them on the main thread",
      parseWorkers,
      "auto",
    )
    .action(async (snapshot: string, flags: PlanFlags) => {
      const snapshotDir = resolve(snapshot);
      const outDir = resolve(flags.out);
      assertOutsideSnapshot(snapshotDir, outDir, "the plan");
      await assertOnlyOwnFiles(
        planFolder(outDir),
        (name) => name === "manifest.json" || name.endsWith(".ndjson"),
        "plan",
      );
      // A stopped plan leaves the previous plan as it was. Its half-built copy contains
      // personal data, so it is removed before the process exits.
      const stop = (signal: NodeJS.Signals): void => {
        removeOwnWorkDirs(outDir);
        context.stderr.write(
          `\nplan stopped by ${signal}; the previous plan in ${outDir} is unchanged and the ` +
            "unfinished one was removed\n",
        );
        process.exit(signal === "SIGINT" ? 130 : 143);
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      let result: Awaited<ReturnType<typeof runPlan>>;
      try {
        result = await runPlan({
          snapshotDir,
          mappingFile: resolve(flags.mapping ?? defaultMappingFile(outDir)),
          outDir,
          logger: context.logger,
          progress: flags.progress === false ? undefined : context.stderr,
          workers: flags.workers,
        });
      } finally {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
      }
      if (result.unconfirmedReason) {
        context.stderr.write(
          `warning: ${result.unconfirmedReason}; plan ran anyway because it writes nothing to ` +
            "Odoo, but migrate will refuse this mapping until it is confirmed " +
            `(netmera-odoo map ${snapshot} --confirm --by NAME)\n`,
        );
      }
      context.stdout.write(`${formatReconciliation(result.phases)}\n\n`);
      const duration = historyDurationNote(result.phases);
      if (duration) {
        context.stdout.write(`${duration}\n\n`);
      }
      context.stdout.write(
        `plan written to ${result.outDir}: ${result.quarantineRows} quarantine rows, ` +
          `${result.flagRows} flags\n`,
      );
    });
}
