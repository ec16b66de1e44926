import { Command, CommanderError, Option } from "commander";
import { BridgeError } from "./core/errors.js";
import { createLogger, LOG_FORMATS, setLogFormat, type LogFormat } from "./core/log.js";
import { checkOutDir } from "./core/out-dir.js";
import type { CliContext } from "./commands/context.js";
import { registerAudit } from "./commands/audit.js";
import { registerMap } from "./commands/map.js";
import { registerPlan } from "./commands/plan.js";
import { registerExportCsv } from "./commands/export-csv.js";
import { registerPull } from "./commands/pull.js";
import { registerMigrate } from "./commands/migrate.js";
import { registerRollback } from "./commands/rollback.js";
import { registerAuthorise } from "./commands/authorise.js";
import { registerInventory } from "./commands/inventory.js";
import { registerServe } from "./commands/serve.js";

const registrations = [
  registerPull,
  registerAudit,
  registerMap,
  registerPlan,
  registerExportCsv,
  registerMigrate,
  registerRollback,
  registerAuthorise,
  registerInventory,
  registerServe,
];

const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];

/** Build the `netmera-odoo` program; tests call this with their own streams. */
export function buildProgram(context: CliContext): Command {
  const program = new Command("netmera-odoo")
    .description("Migrate customer data from Netmera into Odoo CRM.")
    .addOption(
      new Option("--log-level <level>", "lowest level logged to standard error")
        .choices(LOG_LEVELS)
        .default("warn"),
    )
    .addOption(
      new Option(
        "--log-format <format>",
        "log lines on standard error: human (default) or json (default for serve)",
      ).choices(LOG_FORMATS),
    )
    .showHelpAfterError()
    .exitOverride();
  program.configureOutput({
    writeOut: (text) => context.stdout.write(text),
    writeErr: (text) => context.stderr.write(text),
  });
  for (const register of registrations) {
    register(program, context);
  }

  // Every command's --out is checked once here, so a file or an unwritable place gets one
  // clear line before any work starts.
  program.hook("preAction", async (_program, command) => {
    // People read the CLI's warnings, but serve's lines go to a log collector, so those stay JSON.
    const format = program.opts().logFormat as LogFormat | undefined;
    setLogFormat(context.logger, format ?? (command.name() === "serve" ? "json" : "human"));
    // The flag wins over NETMERA_ODOO_LOG_LEVEL only when it was given.
    if (program.getOptionValueSource("logLevel") === "cli") {
      context.logger.level = program.opts().logLevel as string;
    }
    const out: unknown = command.opts().out;
    if (typeof out === "string") await checkOutDir(out);
  });
  return program;
}

/** Return true for an error of a file system call, which carries `syscall` and `path`. */
function isFileSystemError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && "syscall" in error && "path" in error;
}

/** Run the CLI and return the process exit code; errors are printed, never thrown. */
export async function main(
  argv: string[],
  context: CliContext = {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    logger: createLogger({ format: "human" }),
  },
): Promise<number> {
  const program = buildProgram(context);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode;
    }
    if (error instanceof BridgeError) {
      context.stderr.write(`error: ${error.message}\n`);
      context.logger.debug({ err: error }, "command failed");
      return 1;
    }
    if (isFileSystemError(error)) {
      // A disk full, a permission or a missing path: the message names the call and the path,
      // and the stack adds nothing for the person running the command.
      context.stderr.write(`error: ${error.message}\n`);
      context.logger.debug({ err: error }, "command failed");
      return 1;
    }
    // One line for the person; the stack goes to the log for a bug report.
    context.logger.debug({ err: error }, "unexpected failure");
    context.stderr.write(
      `error: unexpected failure: ${(error as Error).message} ` +
        "(run again with --log-level debug for the stack trace)\n",
    );
    return 1;
  }
}
