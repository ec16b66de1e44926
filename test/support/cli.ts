/**
 * Runs `netmera-odoo ARGS` in this process through the same `main` the binary calls, with
 * standard output and standard error captured as text.
 */
import { PassThrough } from "node:stream";
import type { Logger } from "../../bridge/src/core/log.js";
import { main } from "../../bridge/src/cli.js";
import { silentLogger } from "../../bridge/src/core/log.js";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString("utf8") };
}

export async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  logger: Logger = silentLogger,
): Promise<CliResult> {
  const stdout = capture();
  const stderr = capture();
  const code = await main(["node", "netmera-odoo", ...args], {
    stdout: stdout.stream,
    stderr: stderr.stream,
    env,
    logger,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** Run `netmera-odoo ARGS` as a shell step would, throwing with its output on a non-zero exit. */
export async function runCliOrThrow(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<CliResult> {
  const result = await runCli(args, env);
  if (result.code !== 0) {
    const output = `${result.stdout}${result.stderr}`;
    throw new Error(`netmera-odoo ${args.join(" ")} exited ${result.code}: ${output}`);
  }
  return result;
}
