import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { connect, createServer, type AddressInfo, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { xmlIdFor } from "../bridge/src/core/xml-id.js";
import { migrate } from "../bridge/src/migrate/migrate.js";
import type { OdooClient } from "../bridge/src/odoo/client.js";
import {
  FIXTURE_DIR,
  FIXTURE_MAPPING,
  FIXTURE_SNAPSHOT,
  rowHash,
  SYNTHETIC_TAGS,
  writeSyntheticPlan,
} from "./fixtures/migrate/synthetic-plan.js";
import {
  clientFor,
  connectionArgs,
  printedRunId,
  recordPlanHashes,
  runCli,
  spawnCli,
  tableRow,
} from "./migrate-support.js";
import { describeOdoo, startOdoo, type OdooServer } from "./support/odoo.js";

// Real migrations on a shared 2-core machine: a step may take minutes when other suites run.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 600_000 });

/**
 * A migrate killed with SIGKILL leaves its run "running". Once no heartbeat has come for the
 * lease, the run is interrupted: rollback (command line and button) restores the exact state
 * before the run, and a new migrate resumes it. Before that, rollback is refused. Also: owners
 * queued for want of a user stop waiting once an admin creates that user.
 */

const RUN_MODEL = "netmera.migration.run";
const CONTACTS = 300;
const env = { ODOO_PASSWORD: "admin" };

describeOdoo("interrupted runs and waiting owners", () => {
  let odoo: OdooServer;
  let odooClient: OdooClient;
  /** The state after the first, finished run: what every rollback must return to. */
  let baseline: string;

  const migrateArgs = (planDir: string, extra: string[] = []) => [
    "migrate",
    join(planDir, "snapshot"),
    "--plan",
    planDir,
    "--mapping",
    join(planDir, "mapping.json"),
    ...connectionArgs(odoo),
    ...extra,
  ];

  /** Create the run for a plan (migrate stops for the GDPR authorisation), then authorise it. */
  async function authorisedRun(planDir: string): Promise<number> {
    const first = await runCli(migrateArgs(planDir), env);
    const runId = Number(/run (\d+) \(/.exec(first.stderr)?.[1]);
    expect(runId, first.stderr).toBeGreaterThan(0);
    const authorise = await runCli(
      ["authorise", "--run", String(runId), "--by", "Deniz Aydın", "--agreement", "DPA-7"].concat(
        connectionArgs(odoo),
      ),
      env,
    );
    expect(authorise.code, authorise.stderr).toBe(0);
    return runId;
  }

  /**
   * A plan of CONTACTS contacts whose first 50 are the baseline's (unchanged) and whose tags
   * get new names (updates of records the baseline run created).
   */
  async function secondPlan(): Promise<string> {
    const dir = await writeSyntheticPlan(mkdtempSync(join(tmpdir(), "mig-interrupt-")), {
      contacts: CONTACTS,
    });
    const tags = SYNTHETIC_TAGS.map((tag) => {
      const values = { name: `Etiket ${tag} 2026` };
      return JSON.stringify({ xml_id: xmlIdFor("tag", tag), values, hash: rowHash(values) });
    });
    writeFileSync(join(dir, "plan", "tags.ndjson"), `${tags.join("\n")}\n`);
    recordPlanHashes(dir);
    return dir;
  }

  const readRun = async (runId: number) => {
    const [run] = await odooClient.executeKw<Record<string, unknown>[]>(
      RUN_MODEL,
      "read",
      [[runId]],
      { fields: ["state", "is_interrupted", "interrupted_message", "last_error", "heartbeat_at"] },
    );
    return run!;
  };

  const committedBatches = (runId: number) =>
    odooClient.executeKw<number[]>(RUN_MODEL, "get_committed_batches", [[runId], "contacts"]);

  /** Start migrate as a child process, let a few contact batches commit, then SIGKILL it. */
  async function killMidRun(planDir: string, runId: number): Promise<void> {
    const child = spawnCli(migrateArgs(planDir, ["--batch-rows", "10", "--concurrency", "2"]), env);
    const deadline = Date.now() + 180_000;
    while ((await committedBatches(runId)).length < 4) {
      if (Date.now() > deadline) throw new Error(`no contact batches:\n${child.output()}`);
      if (child.child.exitCode !== null) throw new Error(`migrate ended:\n${child.output()}`);
      await sleep(100);
    }
    child.child.kill("SIGKILL");
    expect(await child.exited).toBeNull();
    expect((await committedBatches(runId)).length).toBeLessThan(CONTACTS / 10);
    expect((await readRun(runId)).state).toBe("running");
  }

  /** Partners and tags, every field the runs write, as comparable text. */
  async function dumpState(): Promise<string> {
    const read = (model: string, fields: string[]) =>
      odooClient.executeKw(model, "search_read", [[]], {
        fields,
        order: "id",
        context: { active_test: false },
      });
    return JSON.stringify({
      partners: await read("res.partner", [
        "name",
        "email",
        "phone",
        "city",
        "country_id",
        "category_id",
        "netmera_external_id",
        "netmera_os",
      ]),
      tags: await read("res.partner.category", ["name"]),
    });
  }

  const setLease = (seconds: number | false) =>
    odooClient.executeKw("ir.config_parameter", "set_param", [
      "netmera_migration.lease_seconds",
      seconds,
    ]);

  beforeAll(async () => {
    odoo = await startOdoo({ addon: true, prefix: "mig" });
    odooClient = clientFor(odoo);
    const planDir = await writeSyntheticPlan(mkdtempSync(join(tmpdir(), "mig-baseline-")), {
      contacts: 50,
    });
    await authorisedRun(planDir);
    const done = await runCli(migrateArgs(planDir), env);
    expect(done.code, done.stderr).toBe(0);
    baseline = await dumpState();
  });

  afterAll(async () => {
    odooClient?.close();
    await odoo?.stop();
  });

  it("refuses to roll back a run with a fresh heartbeat, naming the lease", async () => {
    const planDir = await secondPlan();
    const runId = await authorisedRun(planDir);
    await killMidRun(planDir, runId);
    expect(await dumpState()).not.toBe(baseline);

    const refused = await runCli(
      ["rollback", "--run", String(runId), ...connectionArgs(odoo)],
      env,
    );

    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(
        `Run Netmera .* is running: the bridge sent its last heartbeat \\d+ s ago, within the ` +
          "lease of 2 min\\. Let migrate finish or stop it; once no heartbeat has come for 2 min " +
          "the run counts as interrupted and can be rolled back\\.",
      ),
    );
    expect(await readRun(runId)).toMatchObject({ state: "running", is_interrupted: false });

    // With a lease of 3 s, the killed run is interrupted once 3 s pass without a heartbeat.
    await sleep(4000);
    const rolledBack = await runCli(
      ["rollback", "--run", String(runId), "--lease", "3", ...connectionArgs(odoo)],
      env,
    );

    expect(rolledBack.code, rolledBack.stderr).toBe(0);
    expect(rolledBack.stdout).toMatch(
      /rolled back: \d+ record\(s\) deleted, 5 record\(s\) restored/,
    );
    const run = await readRun(runId);
    expect(run.state).toBe("rolled_back");
    expect(run.last_error).toMatch(
      /^Interrupted: the bridge has sent no heartbeat since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, longer than the lease of 3 s/,
    );
    expect(await dumpState()).toBe(baseline);
  });

  it("shows a killed run as interrupted after the configured lease and rolls it back from the button", async () => {
    const planDir = await secondPlan();
    const runId = await authorisedRun(planDir);
    await killMidRun(planDir, runId);
    await setLease(2);
    try {
      await sleep(3000);
      const run = await readRun(runId);
      expect(run.is_interrupted).toBe(true);
      expect(run.interrupted_message).toContain("longer than the lease of 2 s");
      expect(run.interrupted_message).toContain(
        "Run netmera-odoo migrate again to resume it where it stopped, or roll it back.",
      );

      // The Rollback button of the run form calls action_rollback.
      await odooClient.executeKw(RUN_MODEL, "action_rollback", [[runId]]);
    } finally {
      await setLease(false);
    }

    expect((await readRun(runId)).state).toBe("rolled_back");
    expect(await dumpState()).toBe(baseline);
  });

  it("resumes an interrupted run with a new migrate", async () => {
    const planDir = await secondPlan();
    const runId = await authorisedRun(planDir);
    await killMidRun(planDir, runId);
    await setLease(2);
    try {
      await sleep(3000);
      expect((await readRun(runId)).is_interrupted).toBe(true);

      const resumed = await runCli(migrateArgs(planDir), env);

      expect(resumed.code, resumed.stderr).toBe(0);
      expect(printedRunId(resumed.stdout)).toBe(runId);
      expect(tableRow(resumed.stdout, "contacts")).toMatchObject({ read: CONTACTS, check: "ok" });
      const run = await readRun(runId);
      expect(run).toMatchObject({ state: "done", is_interrupted: false });
      expect(run.heartbeat_at).toBeTruthy();
    } finally {
      await setLease(false);
    }
    const partners = await odooClient.executeKw<number>("res.partner", "search_count", [
      [["netmera_external_id", "=like", "bench-%"]],
    ]);
    expect(partners).toBe(CONTACTS);
  });

  it("continues the contacts once an admin creates the owner's user", async () => {
    const planDir = ownerPlan();
    const runId = await authorisedRun(planDir);

    const stopped = await runCli(migrateArgs(planDir), env);

    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain(
      `1 panel owner(s) of run ${runId} have no active Odoo user, so the contacts phase waits:\n` +
        "  yeni.sahip@example.com.tr  Yeni Sahip\n" +
        "For each owner, do one of these in Odoo, then run migrate again; it matches the queue " +
        `again on start and continues run ${runId} here:\n` +
        "  - create an active internal user whose email or login is the owner's email " +
        "(Settings › Users & Companies › Users › New);\n" +
        "  - or map the owner to an existing user: Netmera Migration › Owner Queue, set " +
        '"Odoo User" on the owner\'s line;\n' +
        '  - or drop the ownership: click "Ignore" on the owner\'s line in the Owner Queue, ' +
        "and the owner's contacts are imported without a salesperson.",
    );
    const owned = () =>
      odooClient.executeKw<{ user_id: [number, string] | false }[]>(
        "res.partner",
        "search_read",
        [[["netmera_external_id", "=like", "owned-%"]]],
        { fields: ["user_id"] },
      );
    expect(await owned()).toEqual([]);

    // The admin creates the user, with the address in another letter case than the plan's.
    const userId = await odooClient.executeKw<number>("res.users", "create", [
      {
        name: "Yeni Sahip",
        login: "Yeni.Sahip@Example.COM.tr",
        email: "Yeni.Sahip@Example.COM.tr",
      },
    ]);
    const resumed = await runCli(migrateArgs(planDir), env);

    expect(resumed.code, resumed.stderr).toBe(0);
    expect(printedRunId(resumed.stdout)).toBe(runId);
    expect(tableRow(resumed.stdout, "contacts")).toMatchObject({
      read: 3,
      created: 3,
      check: "ok",
    });
    const partners = await owned();
    expect(partners).toHaveLength(3);
    expect(partners.map((partner) => (partner.user_id as [number, string])[0])).toEqual([
      userId,
      userId,
      userId,
    ]);
    const queue = await odooClient.executeKw<
      { state: string; matched_user_id: [number, string] }[]
    >("netmera.owner.queue", "search_read", [[["run_id", "=", runId]]], {
      fields: ["state", "matched_user_id"],
    });
    expect(queue.map((entry) => [entry.state, entry.matched_user_id[0]])).toEqual([
      ["matched", userId],
    ]);
  });

  it("stops with URL, call and timeout when Odoo stops answering mid-run, then resumes", async () => {
    const planDir = await writeSyntheticPlan(mkdtempSync(join(tmpdir(), "mig-hung-")), {
      contacts: CONTACTS,
      start: 5000,
    });
    const runId = await authorisedRun(planDir);
    const proxy = await startHangingProxy(odoo.port);
    try {
      const migrating = migrate({
        planDir,
        mappingFile: join(planDir, "mapping.json"),
        connection: { url: proxy.url, db: odoo.db, login: odoo.login, password: odoo.password },
        limits: { maxRows: 10 },
        concurrency: 2,
        timeoutMs: 5000,
        retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 200 },
        logger: silentLogger,
        progressStream: new PassThrough(),
      }).then(
        () => undefined,
        (error: unknown) => error as Error,
      );
      let settled = false;
      void migrating.then(() => (settled = true));
      const deadline = Date.now() + 180_000;
      while ((await committedBatches(runId)).length < 3) {
        if (settled) throw new Error(`migrate ended early: ${(await migrating)?.message}`);
        if (Date.now() > deadline) throw new Error("no contact batches committed");
        await sleep(50);
      }
      proxy.hang();
      const error = await migrating;

      expect(error).toBeInstanceOf(Error);
      expect(error!.message).toMatch(
        new RegExp(
          `^Odoo at ${proxy.url}/xmlrpc/2/object accepted the connection but did not answer ` +
            "[\\w.]+ \\(phase contacts, batch \\d+\\) within the timeout of 5 s \\(3 tries\\)\\. ",
        ),
      );
      expect(error!.message).toContain(
        `Run ${runId} stays running in Odoo: run migrate again once Odoo answers, and it ` +
          "continues after the last committed batch (add --takeover if it finds the run's " +
          "heartbeat within the lease).",
      );
      expect((await readRun(runId)).state).toBe("running");
      expect((await committedBatches(runId)).length).toBeLessThan(CONTACTS / 10);
    } finally {
      await proxy.close();
    }

    // The hung attempt could not record its end, so its heartbeat may still be within the lease.
    const resumed = await runCli(migrateArgs(planDir, ["--takeover"]), env);

    expect(resumed.code, resumed.stderr).toBe(0);
    expect(printedRunId(resumed.stdout)).toBe(runId);
    expect(tableRow(resumed.stdout, "contacts")).toMatchObject({
      read: CONTACTS,
      created: CONTACTS,
      check: "ok",
    });
  });
});

/**
 * A TCP proxy on loopback to the Odoo port. After `hang()` it cuts the open connections and
 * accepts new ones without ever answering, as a stuck server does.
 */
async function startHangingProxy(targetPort: number) {
  const sockets = new Set<Socket>();
  let hung = false;
  const server = createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => undefined);
    if (hung) {
      client.resume();
      return;
    }
    const upstream = connect(targetPort, "127.0.0.1");
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    upstream.on("error", () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hang(): void {
      hung = true;
      for (const socket of sockets) socket.destroy();
    },
    async close(): Promise<void> {
      for (const socket of sockets) socket.destroy();
      await new Promise((done) => server.close(done));
    },
  };
}

/** A plan with one panel owner and three contacts that name that owner. */
function ownerPlan(): string {
  const dir = mkdtempSync(join(tmpdir(), "mig-owner-"));
  mkdirSync(join(dir, "plan"));
  const fixture = JSON.parse(readFileSync(join(FIXTURE_DIR, "plan", "manifest.json"), "utf8"));
  const owner = { email: "yeni.sahip@example.com.tr", name: "Yeni Sahip" };
  const owners = [{ xml_id: xmlIdFor("owner", owner.email), values: owner, hash: rowHash(owner) }];
  const contacts = [1, 2, 3].map((index) => {
    const values = {
      netmera_external_id: `owned-${index}`,
      name: `Sahipli Kişi ${index}`,
      email: `sahipli${index}@example.com.tr`,
      user_id: { owner_email: "Yeni.Sahip@EXAMPLE.com.tr" },
    };
    return { xml_id: xmlIdFor("user", `owned-${index}`), values, hash: rowHash(values) };
  });
  const phases = [
    { name: "owners", file: "owners.ndjson", rows: 1 },
    { name: "contacts", file: "contacts.ndjson", rows: 3 },
  ];
  for (const [file, rows] of [
    ["owners.ndjson", owners],
    ["contacts.ndjson", contacts],
  ] as const) {
    writeFileSync(join(dir, "plan", file), rows.map((row) => `${JSON.stringify(row)}\n`).join(""));
  }
  writeFileSync(
    join(dir, "plan", "manifest.json"),
    JSON.stringify({
      snapshotHash: fixture.snapshotHash,
      mappingHash: fixture.mappingHash,
      phases,
    }),
  );
  writeFileSync(
    join(dir, "reconciliation.json"),
    JSON.stringify({
      phases: phases.map(({ name, rows }) => ({
        name,
        read: rows,
        planned: rows,
        quarantined: 0,
        skipped: 0,
      })),
    }),
  );
  writeFileSync(join(dir, "mapping.json"), readFileSync(FIXTURE_MAPPING));
  cpSync(FIXTURE_SNAPSHOT, join(dir, "snapshot"), { recursive: true });
  recordPlanHashes(dir);
  return dir;
}
