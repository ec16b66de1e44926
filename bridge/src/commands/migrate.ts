import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { CommanderError, type Command } from "commander";
import { BridgeError, ConfigError, MigrationStoppedError } from "../core/errors.js";
import { DEFAULT_CONCURRENCY, migrate, type MigrateResult } from "../migrate/migrate.js";
import { prepareMigratePlan } from "../migrate/plan-step.js";
import { RunStoppedError } from "../migrate/runner.js";
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
  takeover?: boolean;
}

export function registerMigrate(program: Command, context: CliContext): void {
  const command = program
    .command("migrate")
    .description(
      "import a snapshot's plan into Odoo through the netmera_migration addon, phase by phase, " +
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
    .option(
      "--takeover",
      "resume a run whose heartbeat is within the lease, when its migrate is known to be gone",
    )
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

  const result = await untilStopped(context, (signal) =>
    migrate({
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
      signal,
      takeover: flags.takeover === true,
    }),
  );

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

  if (result.missingContacts && result.missingContacts.count > 0) {
    out.write(
      `\n${result.missingContacts.count} contact(s) that earlier runs wrote are not in this ` +
        "snapshot (users deleted or anonymised in Netmera). They stay in Odoo as they are; " +
        `archive or delete them there if they should go. List: ${result.missingContacts.file}\n`,
    );
  }
  if (result.sampleReport) {
    out.write(`\n${result.sampleReport}\n`);
  }
}

/** Exit code of a command stopped by Ctrl-C, as shells report SIGINT (128 + 2). */
export const STOPPED_EXIT_CODE = 130;

/**
 * Run the import with SIGINT and SIGTERM wired to its abort signal. The first signal lets the
 * batches in flight commit and stops before the next one, so the run resumes from Odoo's
 * checkpoint; a second signal exits at once, which costs at most the batches in flight (Odoo
 * rolls back their transactions) and is resumable the same way.
 */
async function untilStopped(
  context: CliContext,
  work: (signal: AbortSignal) => Promise<MigrateResult>,
): Promise<MigrateResult> {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      context.stderr.write(
        `${name} again: exiting now without waiting for the batches in flight\n`,
      );
      process.exit(STOPPED_EXIT_CODE);
    }

    context.stderr.write(
      `${name}: stopping once the batches in flight commit (send it again to exit at once)\n`,
    );
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    return await work(controller.signal);
  } catch (error) {
    if (!(error instanceof MigrationStoppedError)) throw error;

    const where =
      error instanceof RunStoppedError && error.phase
        ? `stopped after batch ${error.batch}; run the same command again to resume ` +
          `(phase ${error.phase}: batches 1 to ${error.batch} are committed in Odoo)`
        : "stopped before the first batch; run the same command again to resume";
    context.stderr.write(`${where}\n`);
    context.logger.debug({ err: error }, "migrate stopped on request");
    // CommanderError carries an exit code through main() without a second error line.
    throw new CommanderError(STOPPED_EXIT_CODE, "migrate.stopped", where);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
