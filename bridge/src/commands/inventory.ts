import type { Command } from "commander";
import { BridgeError } from "../core/errors.js";
import type { CliContext } from "./context.js";

// TODO: placeholder until the inventory command lands; it only registers the name.
export function registerInventory(program: Command, _context: CliContext): void {
  program
    .command("inventory")
    .description("not available yet")
    .action(() => {
      throw new BridgeError("the inventory command is not available in this build yet");
    });
}
