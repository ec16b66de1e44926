import type { Command } from "commander";
import { rollbackRun } from "../migrate/run-actions.js";
import { addConnectionOptions, parsePositiveInt, resolveConnection } from "../odoo/settings.js";
import type { CliContext } from "./context.js";

interface RollbackFlags {
  run: string;
  odooUrl?: string;
  db?: string;
  user?: string;
  config?: string;
}

export function registerRollback(program: Command, context: CliContext): void {
  const command = program
    .command("rollback")
    .description(
      "Undo everything a migration run wrote in Odoo (the Rollback button of the run); " +
        "a second rollback does nothing",
    )
    .requiredOption("--run <id>", "Odoo run id to roll back");
  addConnectionOptions(command).action(async (flags: RollbackFlags) => {
    const connection = resolveConnection(flags, context.env);
    const runId = parsePositiveInt("--run", flags.run)!;
    const result = await rollbackRun(connection, context.logger, runId);
    context.stdout.write(
      `Run ${result.run.id} ("${result.run.name}") rolled back: ${result.deleted} record(s) ` +
        `deleted, ${result.restored} record(s) restored to their values before the run.\n`,
    );
  });
}
