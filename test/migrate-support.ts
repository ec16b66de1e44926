/**
 * Helpers of the migrate integration suites: run the CLI in-process or as a child process with
 * captured output, and read Odoo back through the same XML-RPC client.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { main } from "../bridge/src/cli.js";
import { createLogger, silentLogger } from "../bridge/src/core/log.js";
import { OdooClient } from "../bridge/src/odoo/client.js";
import { FIXTURE_DIR } from "./fixtures/migrate/synthetic-plan.js";
import { REPO_ROOT, type OdooServer } from "./support/odoo.js";

export interface CliRun {
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

/** Run `netmera-odoo ARGS` in this process, with debug logs captured beside standard error. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  const stdout = capture();
  const stderr = capture();
  const code = await main(["node", "netmera-odoo", ...args], {
    stdout: stdout.stream,
    stderr: stderr.stream,
    env,
    logger: createLogger({ level: "debug", destination: stderr.stream }),
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** Start `netmera-odoo ARGS` as a child process (for SIGKILL tests). */
export function spawnCli(
  args: string[],
  env: NodeJS.ProcessEnv,
): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const script =
    `const { main } = await import(${JSON.stringify(join(REPO_ROOT, "bridge/src/cli.ts"))});` +
    'process.exitCode = await main(["node", "netmera-odoo", ...process.argv.slice(1)]);';
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--input-type=module", "-e", script, ...args],
    { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

export function connectionArgs(odoo: OdooServer): string[] {
  return ["--odoo-url", odoo.url, "--db", odoo.db, "--user", odoo.login];
}

export function clientFor(odoo: OdooServer, password = odoo.password): OdooClient {
  return new OdooClient({
    url: odoo.url,
    db: odoo.db,
    login: odoo.login,
    password,
    logger: silentLogger,
  });
}

/**
 * A private copy of the hand-written fixture plan (tests write state files into it), with the
 * fixture's `snapshot` folder that the plan was made from, to pass as migrate's snapshot.
 */
export function copyFixturePlan(): string {
  const dir = mkdtempSync(join(tmpdir(), "migrate-plan-"));
  cpSync(FIXTURE_DIR, dir, { recursive: true, filter: (path) => !path.endsWith(".ts") });
  return dir;
}

/**
 * Record the sha256 and line count of every phase file in `plan/manifest.json`, as plan does
 * when it writes a plan; for tests that stand in for plan with a changed plan.
 */
export function recordPlanHashes(dir: string): void {
  const path = join(dir, "plan", "manifest.json");
  const manifest = JSON.parse(readFileSync(path, "utf8")) as {
    phases: { file: string; rows: number; sha256?: string }[];
  };
  for (const entry of manifest.phases) {
    const bytes = readFileSync(join(dir, "plan", entry.file));
    entry.sha256 = createHash("sha256").update(bytes).digest("hex");
    entry.rows = bytes.toString("utf8").split("\n").length - 1;
  }
  writeFileSync(path, JSON.stringify(manifest, null, 2));
}

/** Id of the newest run, as `migrate` prints it: `Run 3 ("…") reconciliation:`. */
export function printedRunId(stdout: string): number {
  const match = /^Run (\d+) \(/m.exec(stdout);
  if (!match) throw new Error(`no run id in output:\n${stdout}`);
  return Number(match[1]);
}

/** One reconciliation table row as numbers, by phase name. */
export function tableRow(stdout: string, phase: string): Record<string, number | string> {
  const lines = stdout.split("\n");
  const header = lines.find((line) => line.startsWith("phase "));
  const row = lines.find((line) => line.startsWith(`${phase} `));
  if (!header || !row) throw new Error(`no ${phase} row in output:\n${stdout}`);
  const names = header.trim().split(/\s+/);
  const cells = row.trim().split(/\s+/);
  return Object.fromEntries(
    names.map((name, index) => [
      name,
      /^\d+$/.test(cells[index]!) ? Number(cells[index]) : cells[index]!,
    ]),
  );
}
