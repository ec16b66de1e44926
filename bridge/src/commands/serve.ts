import type { Command } from "commander";
import { BridgeError } from "../core/errors.js";
import type { CliContext } from "./context.js";

// TODO: placeholder until the serve command lands; it only registers the name.
export function registerServe(program: Command, _context: CliContext): void {
  program
    .command("serve")
    .description("not available yet")
    .action(() => {
      throw new BridgeError("the serve command is not available in this build yet");
    });
}
