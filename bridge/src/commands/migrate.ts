import type { Command } from "commander";
import { BridgeError } from "../core/errors.js";
import type { CliContext } from "./context.js";

// TODO: placeholder until the migrate command lands; it only registers the name.
export function registerMigrate(program: Command, _context: CliContext): void {
  program
    .command("migrate")
    .description("not available yet")
    .action(() => {
      throw new BridgeError("the migrate command is not available in this build yet");
    });
}
