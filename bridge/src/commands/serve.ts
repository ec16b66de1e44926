import type { Command } from "commander";
import { startBridge } from "../server/bridge.js";
import { resolveServeSettings, type ServeFlags } from "../server/config.js";
import { closeOnSignals } from "../server/server.js";
import type { CliContext } from "./context.js";

export function registerServe(program: Command, context: CliContext): void {
  program
    .command("serve")
    .description(
      "run the bridge API that the Odoo addon's buttons call (token in " +
        "NETMERA_ODOO_BRIDGE_TOKEN), and the scheduled re-sync when the config file sets one",
    )
    .option("--port <n>", "TCP port to listen on (default 3100)")
    .option("--host <address>", "address to listen on (default 127.0.0.1)")
    .option("--config <file>", "JSON or YAML config file: Odoo, Netmera, re-sync, upload limits")
    .option("--data-dir <dir>", "folder for snapshots and run work folders")
    .action(async (flags: ServeFlags) => {
      const settings = resolveServeSettings(flags, context.env);
      // A service logs one line per request, at info; other commands stay quiet by default.
      const explicit = program.getOptionValueSource("logLevel") === "cli";
      const level = explicit
        ? String(program.opts().logLevel)
        : (context.env.NETMERA_ODOO_LOG_LEVEL ?? "info");
      const logger = context.logger.child({}, { level });
      const bridge = await startBridge(settings, { logger });
      context.stderr.write(`netmera-odoo bridge listening on ${bridge.url}\n`);
      closeOnSignals(bridge, logger);
      // The command stays alive until a signal closes the server and exits the process.
      await new Promise<never>(() => {});
    });
}
