import type { Command } from "commander";
import { BridgeError } from "../core/errors.js";
import type { CliContext } from "./context.js";

// TODO: placeholder until the map command lands; it only registers the name.
export function registerMap(program: Command, _context: CliContext): void {
  program
    .command("map")
    .description("not available yet")
    .action(() => {
      throw new BridgeError("the map command is not available in this build yet");
    });
}
