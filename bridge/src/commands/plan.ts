import type { Command } from "commander";
import { BridgeError } from "../core/errors.js";
import type { CliContext } from "./context.js";

// TODO: placeholder until the plan command lands; it only registers the name.
export function registerPlan(program: Command, _context: CliContext): void {
  program
    .command("plan")
    .description("not available yet")
    .action(() => {
      throw new BridgeError("the plan command is not available in this build yet");
    });
}
