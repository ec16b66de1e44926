import type { Logger } from "../core/log.js";

/** What every command receives: where to write, the environment to read, and the logger. */
export interface CliContext {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  logger: Logger;
}
