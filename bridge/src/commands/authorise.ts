import type { Command } from "commander";
import { authoriseRun } from "../migrate/run-actions.js";
import { DEFAULT_CALL_TIMEOUT_MS } from "../odoo/client.js";
import {
  addConnectionOptions,
  addTimeoutOption,
  parsePositiveInt,
  resolveConnection,
  timeoutMsFrom,
} from "../odoo/settings.js";
import type { CliContext } from "./context.js";

interface AuthoriseFlags {
  run: string;
  by: string;
  agreement: string;
  timeout?: string;
  odooUrl?: string;
  db?: string;
  user?: string;
  config?: string;
}

export function registerAuthorise(program: Command, context: CliContext): void {
  const command = program
    .command("authorise")
    .description(
      "record the data controller's GDPR authorisation of a migration run, as the run form's " +
        "Confirm GDPR Authorisation button does",
    )
    .requiredOption("--run <id>", "Odoo run id")
    .requiredOption("--by <name>", "person who authorised the transfer for the data controller")
    .requiredOption("--agreement <ref>", "reference of the data processing agreement");
  addTimeoutOption(addConnectionOptions(command), DEFAULT_CALL_TIMEOUT_MS / 1000).action(
    async (flags: AuthoriseFlags) => {
      const connection = resolveConnection(flags, context.env);
      const runId = parsePositiveInt("--run", flags.run)!;
      const run = await authoriseRun(connection, context.logger, {
        runId,
        by: flags.by,
        agreement: flags.agreement,
        timeoutMs: timeoutMsFrom(flags.timeout),
      });
      context.stdout.write(
        `Run ${run.id} ("${run.name}") authorised by ${flags.by} under ${flags.agreement}; ` +
          "run migrate to continue it.\n",
      );
    },
  );
}
