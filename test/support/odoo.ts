/**
 * Real Odoo servers for integration suites. Each `startOdoo` call serves a fresh copy of a
 * template database, so suites never see each other's records. Templates are built once:
 * `nm_template` holds base, contacts, crm, utm and mail; `nm_addon_<hash>` adds this repository's
 * addon and is rebuilt whenever a file under odoo_addon/ changes.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { createServer } from "node:net";
import { join, relative, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { describe } from "vitest";

const run = promisify(execFile);

export const REPO_ROOT = resolve(import.meta.dirname, "../..");
export const ODOO_SRC = process.env.ODOO_SRC ?? "/opt/odoo/src";
export const ODOO_PYTHON = process.env.ODOO_PYTHON ?? "/usr/bin/python3";
const ODOO_STUBS = process.env.ODOO_STUBS ?? "/opt/odoo/stubs";
const BASE_TEMPLATE = "nm_template";
const BASE_MODULES = "base,contacts,crm,utm,mail";
const LOCK_DIR = "/tmp/netmera-odoo-template.lock";

export const odooAvailable = existsSync(join(ODOO_SRC, "odoo-bin"));

/** `describe` that runs only when an Odoo tree exists, and says so when it skips. */
export function describeOdoo(name: string, fn: () => void): void {
  if (!odooAvailable) {
    console.log(`real-Odoo suite "${name}" skipped: no Odoo tree at ${ODOO_SRC} (set ODOO_SRC)`);
    describe.skip(name, fn);
    return;
  }
  describe(name, fn);
}

export interface OdooServer {
  url: string;
  db: string;
  login: string;
  password: string;
  port: number;
  logFile: string;
  /** Stop the server and drop its database. */
  stop(): Promise<void>;
  /** Stop the server process and start it again on the same port and database. */
  restart(): Promise<void>;
  /** Stop the server process but keep the database (for outage tests). */
  kill(): Promise<void>;
  /** Start the server process again after `kill`. */
  start(): Promise<void>;
}

export interface StartOdooOptions {
  /** Serve a database that has the netmera_migration addon installed. */
  addon?: boolean;
  /** Odoo worker processes; 0 (default) runs the threaded server. */
  workers?: number;
  /** Database name prefix, to tell suites apart in `psql -l`. */
  prefix?: string;
}

function odooEnv(): NodeJS.ProcessEnv {
  const pythonPath = [ODOO_STUBS, process.env.PYTHONPATH].filter(Boolean).join(":");
  return { ...process.env, PYTHONPATH: pythonPath };
}

function addonsPath(): string {
  const ours = join(REPO_ROOT, "odoo_addon");
  // Odoo rejects an addons path that holds no module yet.
  const hasModule =
    existsSync(ours) &&
    readdirSync(ours).some((name) => existsSync(join(ours, name, "__manifest__.py")));
  return hasModule ? `${join(ODOO_SRC, "odoo/addons")},${ours}` : join(ODOO_SRC, "odoo/addons");
}

async function psql(sql: string): Promise<string> {
  const { stdout } = await run("psql", ["-d", "postgres", "-tAc", sql]);
  return stdout.trim();
}

/** Start the local PostgreSQL cluster when it is down; CI machines start with it stopped. */
export async function ensurePostgres(): Promise<void> {
  try {
    await psql("select 1");
    return;
  } catch {
    // Not running or no role yet: start it and create the role below.
  }

  await run("pg_ctlcluster", ["--skip-systemctl-redirect", "15", "main", "start"]).catch(() => {});
  await run("su", [
    "postgres",
    "-c",
    "psql -tAc \"select 1 from pg_roles where rolname='root'\" | grep -q 1 || psql -c 'CREATE ROLE root SUPERUSER LOGIN'",
  ]);
  await psql("select 1");
}

async function databaseExists(name: string): Promise<boolean> {
  return (await psql(`select 1 from pg_database where datname = '${name}'`)) === "1";
}

async function runOdooOnce(args: string[], logFile: string): Promise<void> {
  const fd = openSync(logFile, "a");
  const child = spawn(
    ODOO_PYTHON,
    [join(ODOO_SRC, "odoo-bin"), `--addons-path=${addonsPath()}`, "--db_user=root", ...args],
    { env: odooEnv(), stdio: ["ignore", fd, fd] },
  );
  const code = await new Promise<number | null>((done) => child.on("exit", done));
  if (code !== 0) {
    throw new Error(`odoo-bin ${args.join(" ")} exited with ${code}; see ${logFile}`);
  }
}

function addonHash(): string {
  const hash = createHash("sha256");
  const root = join(REPO_ROOT, "odoo_addon");
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (name === "__pycache__" || name.endsWith(".pyc")) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        walk(path);
      } else {
        hash.update(relative(root, path)).update("\0").update(readFileSync(path)).update("\0");
      }
    }
  };
  if (existsSync(root)) walk(root);
  return hash.digest("hex").slice(0, 10);
}

async function withTemplateLock<T>(work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`template lock ${LOCK_DIR} held for 15 minutes`);
      // A lock older than 15 minutes belongs to a killed run.
      if (Date.now() - statSync(LOCK_DIR, { throwIfNoEntry: false })!.mtimeMs > 15 * 60_000) {
        rmSync(LOCK_DIR, { recursive: true, force: true });
      }
      await sleep(1000);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

/** Return the name of a template database, building it when missing. */
export async function ensureTemplate(addon: boolean): Promise<string> {
  await ensurePostgres();
  return withTemplateLock(async () => {
    if (!(await databaseExists(BASE_TEMPLATE))) {
      await runOdooOnce(
        [
          "-d",
          BASE_TEMPLATE,
          "-i",
          BASE_MODULES,
          "--without-demo=all",
          "--stop-after-init",
          "--http-port=0",
        ],
        `/tmp/${BASE_TEMPLATE}.log`,
      );
    }
    if (!addon) return BASE_TEMPLATE;

    const name = `nm_addon_${addonHash()}`;
    if (await databaseExists(name)) return name;
    const building = `${name}_building`;
    await run("dropdb", ["--if-exists", building]);
    await run("createdb", ["-T", BASE_TEMPLATE, building]);
    await runOdooOnce(
      [
        "-d",
        building,
        "-i",
        "netmera_migration",
        "--without-demo=all",
        "--stop-after-init",
        "--http-port=0",
      ],
      `/tmp/${name}.log`,
    );
    await psql(`alter database "${building}" rename to "${name}"`);
    return name;
  });
}

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

async function waitForHttp(url: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`Odoo exited with ${child.exitCode}; see ${logFile}`);
    try {
      const response = await fetch(`${url}/web/webclient/version_info`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", method: "call", params: {} }),
      });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(250);
  }
  throw new Error(`Odoo at ${url} did not answer within 120 s; see ${logFile}`);
}

/** Start a real Odoo on a fresh copy of a template database. */
export async function startOdoo(options: StartOdooOptions = {}): Promise<OdooServer> {
  const template = await ensureTemplate(options.addon ?? false);
  const db = `${options.prefix ?? "t"}_${randomBytes(4).toString("hex")}`;
  await run("createdb", ["-T", template, db]);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = `/tmp/odoo-${db}.log`;
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    const fd = openSync(logFile, "a");
    const args = [
      join(ODOO_SRC, "odoo-bin"),
      `--addons-path=${addonsPath()}`,
      "--db_user=root",
      "-d",
      db,
      `--db-filter=^${db}$`,
      "--http-interface=127.0.0.1",
      `--http-port=${port}`,
      "--max-cron-threads=0",
      `--workers=${options.workers ?? 0}`,
      "--log-level=warn",
    ];
    child = spawn(ODOO_PYTHON, args, { env: odooEnv(), stdio: ["ignore", fd, fd] });
    await waitForHttp(url, child, logFile);
  };

  const kill = async (): Promise<void> => {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((done) => child!.once("exit", done));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child?.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };

  await start();
  return {
    url,
    db,
    login: "admin",
    password: "admin",
    port,
    logFile,
    start,
    kill,
    restart: async () => {
      await kill();
      await start();
    },
    stop: async () => {
      await kill();
      await run("dropdb", ["--if-exists", db]).catch(() => {});
    },
  };
}
