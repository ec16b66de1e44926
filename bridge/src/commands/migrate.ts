import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { BridgeError, ConfigError } from "../core/errors.js";
import { DEFAULT_CONCURRENCY, migrate } from "../migrate/migrate.js";
import { prepareMigratePlan } from "../migrate/plan-step.js";
import { assertSnapshotFolder } from "../snapshot/snapshot.js";
import { DEFAULT_CALL_TIMEOUT_MS } from "../odoo/client.js";
import {
  addConnectionOptions,
  addTimeoutOption,
  parsePositiveInt,
  readConfigFile,
  resolveConnection,
  timeoutMsFrom,
  type ConfigFile,
} from "../odoo/settings.js";
import type { CliContext } from "./context.js";

interface MigrateFlags {
  odooUrl?: string;
  db?: string;
  user?: string;
  config?: string;
  plan?: string;
  mapping?: string;
  run?: string;
  sample?: string;
  concurrency?: string;
  batchRows?: string;
  batchBytes?: string;
  timeout?: string;
}

export function registerMigrate(program: Command, context: CliContext): void {
  const command = program
    .command("migrate")
    .description(
      "Import a snapshot's plan into Odoo through the netmera_migration addon, phase by phase, " +
        "resuming where an earlier attempt stopped",
    )
    .argument("<snapshot>", "snapshot folder");
  addTimeoutOption(addConnectionOptions(command), DEFAULT_CALL_TIMEOUT_MS / 1000)
    .option(
      "--plan <dir>",
      "plan folder written by `plan --out DIR` (default: run plan into netmera-odoo-work/ beside the mapping)",
    )
    .option(
      "--mapping <file>",
      "confirmed mapping.json (default: PLAN/mapping.json, else ./mapping.json)",
    )
    .option("--run <id>", "continue this Odoo run id")
    .option("--sample <n>", "import only n contacts (deterministic) with what they need")
    .option("--concurrency <n>", `batches in flight at once (default ${DEFAULT_CONCURRENCY})`)
    .option("--batch-rows <n>", "rows per batch at most (default 500)")
    .option("--batch-bytes <n>", "bytes of plan JSON per batch at most (default 2000000)")
    .action(async (snapshot: string, flags: MigrateFlags) => {
      await runMigrate(snapshot, flags, context);
    });
}

async function runMigrate(
  snapshot: string,
  flags: MigrateFlags,
  context: CliContext,
): Promise<void> {
  const config: ConfigFile = flags.config ? readConfigFile(flags.config) : {};
  const connection = resolveConnection(flags, context.env, config);
  const snapshotDir = resolve(snapshot);
  // Checked before Odoo is contacted, so that a mistyped path is the error shown.
  await assertSnapshotFolder(snapshotDir);
  // Never inside the snapshot folder: a file added there fails the manifest check.
  const planMapping = flags.plan === undefined ? undefined : join(flags.plan, "mapping.json");
  const mappingFile = resolve(
    flags.mapping ??
      config.mapping ??
      (planMapping && existsSync(planMapping) ? planMapping : "mapping.json"),
  );
  if (!existsSync(mappingFile) && flags.run === undefined) {
    throw new ConfigError(
      `mapping ${mappingFile} not found; run netmera-odoo map ${snapshot} first, or pass --mapping FILE`,
    );
  }

  const planDir = await prepareMigratePlan({
    planDir: flags.plan ?? config.plan,
    snapshotDir,
    mappingFile,
    logger: context.logger,
    progress: context.stderr,
  });

  const result = await migrate({
    planDir,
    mappingFile: existsSync(mappingFile) ? mappingFile : undefined,
    snapshotDir: snapshot,
    connection,
    runId: parsePositiveInt("--run", flags.run),
    sampleSize: parsePositiveInt("--sample", flags.sample),
    concurrency: parsePositiveInt("--concurrency", flags.concurrency) ?? config.concurrency,
    limits: {
      maxRows: parsePositiveInt("--batch-rows", flags.batchRows) ?? config.batchRows,
      maxBytes: parsePositiveInt("--batch-bytes", flags.batchBytes) ?? config.batchBytes,
    },
    logger: context.logger,
    progressStream: context.stderr,
    timeoutMs: timeoutMsFrom(flags.timeout, config),
  });

  const out = context.stdout;
  out.write(`Run ${result.runId} ("${result.runName}") reconciliation:\n${result.table}\n`);
  if (result.errorCount > 0) {
    out.write(
      `\nOdoo rejected ${result.errorCount} row(s); each is listed in ${result.errorsFile}. First:\n` +
        result.firstErrors.map((line) => `  ${line}\n`).join(""),
    );
  }

  if (!result.balanced) {
    throw new BridgeError(
      `the reconciliation of run ${result.runId} does not balance (see MISMATCH above); the ` +
        "run is marked failed",
    );
  }

  if (result.sampleReport) {
    out.write(`\n${result.sampleReport}\n`);
  }
}
