import type { Command } from "commander";
import { BridgeError } from "../core/errors.js";
import type { CliContext } from "./context.js";

// TODO: placeholder until the audit command lands; it only registers the name.
export function registerAudit(program: Command, _context: CliContext): void {
  program
    .command("audit")
    .description("not available yet")
    .action(() => {
      throw new BridgeError("the audit command is not available in this build yet");
    });
}
