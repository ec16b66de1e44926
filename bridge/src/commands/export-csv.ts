import type { Command } from "commander";
import { BridgeError } from "../core/errors.js";
import type { CliContext } from "./context.js";

// TODO: placeholder until the export-csv command lands; it only registers the name.
export function registerExportCsv(program: Command, _context: CliContext): void {
  program
    .command("export-csv")
    .description("not available yet")
    .action(() => {
      throw new BridgeError("the export-csv command is not available in this build yet");
    });
}
