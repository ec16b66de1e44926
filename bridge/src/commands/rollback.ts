import type { Command } from "commander";
import { BridgeError } from "../core/errors.js";
import type { CliContext } from "./context.js";

// TODO: placeholder until the rollback command lands; it only registers the name.
export function registerRollback(program: Command, _context: CliContext): void {
  program
    .command("rollback")
    .description("not available yet")
    .action(() => {
      throw new BridgeError("the rollback command is not available in this build yet");
    });
}
