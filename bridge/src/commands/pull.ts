import type { Command } from "commander";
import { BridgeError } from "../core/errors.js";
import type { CliContext } from "./context.js";

// TODO: placeholder until the pull command lands; it only registers the name.
export function registerPull(program: Command, _context: CliContext): void {
  program
    .command("pull")
    .description("not available yet")
    .action(() => {
      throw new BridgeError("the pull command is not available in this build yet");
    });
}
