import type { Command } from "commander";
import { DEFAULT_ROLLBACK_TIMEOUT_MS, rollbackRun } from "../migrate/run-actions.js";
import {
  addConnectionOptions,
  addTimeoutOption,
  parsePositiveInt,
  resolveConnection,
  timeoutMsFrom,
} from "../odoo/settings.js";
import type { CliContext } from "./context.js";

interface RollbackFlags {
  run: string;
  lease?: string;
  force?: boolean;
  timeout?: string;
  odooUrl?: string;
  db?: string;
  user?: string;
  config?: string;
}

export function registerRollback(program: Command, context: CliContext): void {
  const command = program
    .command("rollback")
    .description(
      "undo everything a migration run wrote in Odoo (the Rollback button of the run); " +
        "a second rollback removes only what a batch committed while the first one ran",
    )
    .requiredOption("--run <id>", "Odoo run id to roll back")
    .option(
      "--lease <seconds>",
      "a running run whose migrate sent no heartbeat for this long counts as interrupted and " +
        "may be rolled back (default: the addon's Run Lease setting, 120)",
    )
    .option(
      "--force",
      "roll back even though people changed, commented on or referenced records of the run " +
        "after it wrote them (without it the rollback stops and names those records)",
    );
  addTimeoutOption(
    addConnectionOptions(command),
    DEFAULT_ROLLBACK_TIMEOUT_MS / 1000,
    "the rollback request is sent once, because Odoo may still be finishing it after a " +
      "timeout: check the run in Odoo before running rollback again",
  ).action(async (flags: RollbackFlags) => {
    const connection = resolveConnection(flags, context.env);
    const runId = parsePositiveInt("--run", flags.run)!;
    const result = await rollbackRun(connection, context.logger, runId, {
      leaseSeconds: parsePositiveInt("--lease", flags.lease),
      timeoutMs: timeoutMsFrom(flags.timeout),
      force: flags.force === true,
    });
    if (result.alreadyRolledBack) {
      context.stdout.write(
        `Run ${result.run.id} ("${result.run.name}") was already rolled back; nothing changed.\n`,
      );
      return;
    }
    context.stdout.write(
      `Run ${result.run.id} ("${result.run.name}") rolled back: ${result.deleted} record(s) ` +
        `deleted, ${result.restored} record(s) restored to their values before the run.\n`,
    );
    for (const line of result.leftActive) {
      context.stdout.write(`Language ${line}; deactivate it in Odoo when no one uses it.\n`);
    }
    if (result.touched > 0) {
      context.stdout.write(
        `Forced: ${result.touched} finding(s) of work people did after the run were removed ` +
          `or overwritten; the run's chatter in Odoo lists them.\n`,
      );
    }
  });
}
