import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import type { OdooClient } from "../bridge/src/odoo/client.js";
import { writeSyntheticPlan } from "./fixtures/migrate/synthetic-plan.js";
import { clientFor, connectionArgs, runCli, type CliRun } from "./migrate-support.js";
import { describeOdoo, startOdoo, type OdooServer } from "./support/odoo.js";

vi.setConfig({ testTimeout: 300_000, hookTimeout: 600_000 });

/**
 * A rollback call that gets no answer: Odoo killed while it rolls back, or slower than the
 * timeout. The addon rolls back in one transaction, so the message says which state the run
 * is in and what to run, and the database shows exactly that.
 */

const RUN_MODEL = "netmera.migration.run";
const CONTACTS = 300;
const env = { ODOO_PASSWORD: "admin" };
const run = promisify(execFile);

describeOdoo("rollback cut off", () => {
  let odoo: OdooServer;
  let odooClient: OdooClient;
  let runId: number;
  let partnersAfterRun: number;
  let ledgerAfterRun: number;

  const psql = async (sql: string) =>
    (await run("psql", ["-d", odoo.db, "-tAc", sql])).stdout.trim();

  /**
   * Hold a SHARE lock on the ledger in a session of its own: reads go on, but the rollback
   * waits at its first ledger update, so it is surely in flight when the test acts. Logins
   * do not touch the ledger, so the command's earlier calls do not wait.
   */
  async function lockLedger(): Promise<{ release: () => Promise<void> }> {
    const session: ChildProcess = spawn("psql", ["-d", odoo.db, "-tA"], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    let output = "";
    session.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    session.stdin!.write(
      "BEGIN; LOCK TABLE netmera_migration_ledger IN SHARE MODE; SELECT 'locked';\n",
    );
    while (!output.includes("locked")) await sleep(50);
    return {
      release: async () => {
        const exited = new Promise((done) => session.once("exit", done));
        session.stdin!.end("ROLLBACK;\n");
        await exited;
      },
    };
  }

  /**
   * Wait until a backend of this database waits for a lock (the rollback reached the ledger),
   * or fail with the command's output when it ended first.
   */
  async function rollbackWaiting(command: Promise<CliRun>): Promise<void> {
    let ended: CliRun | undefined;
    void command.then((result) => (ended = result));
    const deadline = Date.now() + 120_000;
    const sql =
      `SELECT count(*) FROM pg_stat_activity WHERE datname = '${odoo.db}' ` +
      "AND wait_event_type = 'Lock'";
    while ((await psql(sql)) === "0") {
      if (ended) throw new Error(`rollback ended before it reached the ledger: ${ended.stderr}`);
      if (Date.now() > deadline) throw new Error("the rollback never reached the ledger");
      await sleep(100);
    }
  }

  const runState = async () =>
    (
      await odooClient.executeKw<{ state: string }[]>(RUN_MODEL, "read", [[runId]], {
        fields: ["state"],
      })
    )[0]!.state;

  const partners = () =>
    odooClient.executeKw<number>("res.partner", "search_count", [[]], {
      context: { active_test: false },
    });

  const openLedgerLines = () =>
    odooClient.executeKw<number>("netmera.migration.ledger", "search_count", [
      [
        ["run_id", "=", runId],
        ["rolled_back", "=", false],
      ],
    ]);

  const rollbackArgs = (extra: string[] = []) => [
    "rollback",
    "--run",
    String(runId),
    ...connectionArgs(odoo),
    ...extra,
  ];

  beforeAll(async () => {
    odoo = await startOdoo({ addon: true, prefix: "gaps" });
    odooClient = clientFor(odoo);
    const planDir = await writeSyntheticPlan(mkdtempSync(join(tmpdir(), "gaps-rollback-")), {
      contacts: CONTACTS,
    });
    const migrateArgs = [
      "migrate",
      join(planDir, "snapshot"),
      "--plan",
      planDir,
      "--mapping",
      join(planDir, "mapping.json"),
      ...connectionArgs(odoo),
    ];
    const first = await runCli(migrateArgs, env);
    runId = Number(/run (\d+) \(/.exec(first.stderr)?.[1]);
    expect(runId, first.stderr).toBeGreaterThan(0);
    const authorise = await runCli(
      ["authorise", "--run", String(runId), "--by", "Deniz Aydın", "--agreement", "DPA-3"].concat(
        connectionArgs(odoo),
      ),
      env,
    );
    expect(authorise.code, authorise.stderr).toBe(0);
    const done = await runCli(migrateArgs, env);
    expect(done.code, done.stderr).toBe(0);
    partnersAfterRun = await partners();
    ledgerAfterRun = await openLedgerLines();
    expect(ledgerAfterRun).toBeGreaterThanOrEqual(CONTACTS);
  });

  afterAll(async () => {
    odooClient?.close();
    await odoo?.stop();
  });

  it("Odoo killed during rollback: nothing half undone", async () => {
    expect(await runState()).toBe("done");
    const lock = await lockLedger();
    const rollback = runCli(rollbackArgs(), env);
    await rollbackWaiting(rollback);

    // SIGKILL the Odoo this suite started, found by its own database name.
    const pid = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" })
      .split("\n")
      .find((line) => line.includes("odoo-bin") && line.includes(` -d ${odoo.db} `))
      ?.trim()
      .split(/\s+/)[0];
    expect(pid).toMatch(/^\d+$/);
    process.kill(Number(pid), "SIGKILL");
    await lock.release();
    const result = await rollback;

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `error: The connection to Odoo broke during the rollback of run ${runId} (Odoo call ` +
        `netmera.migration.run.rollback to ${odoo.url}/xmlrpc/2/object failed (1 try): `,
    );
    expect(result.stderr).toContain(
      "The addon rolls a run back in one database transaction: all of it is undone, or none " +
        "of it. Odoo does not answer now, so the run's state is unknown: either rolled back " +
        "entirely or unchanged, never half undone. Once Odoo answers, run netmera-odoo " +
        `rollback --run ${runId} with the same connection options: it rolls the run back, or ` +
        "says that it was already rolled back.\n",
    );

    await odoo.start();
    expect(await runState()).toBe("done");
    expect(await partners()).toBe(partnersAfterRun);
    expect(await openLedgerLines()).toBe(ledgerAfterRun);
  });

  it("rollback timeout: Odoo may still be rolling back", async () => {
    const lock = await lockLedger();
    const rollback = runCli(rollbackArgs(["--timeout", "5"]), env);
    await rollbackWaiting(rollback);
    const result = await rollback;

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `error: Odoo did not answer the rollback of run ${runId} in time (Odoo at ${odoo.url}` +
        "/xmlrpc/2/object accepted the connection but did not answer ",
    );
    expect(result.stderr).toContain(
      "The addon rolls a run back in one database transaction: all of it is undone, or none " +
        `of it. Run ${runId} is still done in Odoo, and Odoo may still be rolling it back: the ` +
        "run turns rolled_back when it commits. Check the run in Odoo in a while; if it is " +
        `still done then, run netmera-odoo rollback --run ${runId} with the same connection ` +
        "options (while the first rollback works, a second one is refused).\n",
    );
    expect(await partners()).toBe(partnersAfterRun);

    // Odoo finishes the first rollback once the lock goes, and commits all of it.
    await lock.release();
    const deadline = Date.now() + 120_000;
    while ((await runState()) !== "rolled_back" && Date.now() < deadline) await sleep(500);
    expect(await runState()).toBe("rolled_back");
    expect(await partners()).toBe(partnersAfterRun - CONTACTS);
    expect(await openLedgerLines()).toBe(0);
    const again = await runCli(rollbackArgs(), env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^Run \d+ \(".*"\) was already rolled back; nothing changed\.\n$/);
  });
});
