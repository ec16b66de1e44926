import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { OdooFaultError } from "../bridge/src/core/errors.js";
import type { OdooClient } from "../bridge/src/odoo/client.js";
import { writeSyntheticPlan } from "./fixtures/migrate/synthetic-plan.js";
import { clientFor, connectionArgs, printedRunId, runCli, spawnCli } from "./migrate-support.js";
import { describeOdoo, startOdoo, type OdooServer } from "./support/odoo.js";

// Real migrations on a shared 2-core machine: a step may take minutes when other suites run.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 600_000 });

/**
 * Runs against each other on one database: a migrate that stops for the GDPR authorisation
 * reuses the run that waits for it instead of adding one per attempt, and of two runs started
 * at the same moment one imports while the other is refused by name with nothing written.
 */

const RUN_MODEL = "netmera.migration.run";
const CONTACTS = 1500;
const env = { ODOO_PASSWORD: "admin" };

interface RunRow {
  id: number;
  name: string;
  state: string;
  is_sample: boolean;
  sample_size: number;
}

describeOdoo("runs against each other on one database", () => {
  let odoo: OdooServer;
  let odooClient: OdooClient;
  let planDir: string;

  const migrateArgs = (extra: string[] = []) => [
    "migrate",
    join(planDir, "snapshot"),
    "--plan",
    planDir,
    "--mapping",
    join(planDir, "mapping.json"),
    ...connectionArgs(odoo),
    ...extra,
  ];

  const runs = () =>
    odooClient.executeKw<RunRow[]>(RUN_MODEL, "search_read", [[]], {
      fields: ["name", "state", "is_sample", "sample_size"],
      order: "id",
    });

  const authorise = async (runId: number) => {
    const result = await runCli(
      ["authorise", "--run", String(runId), "--by", "Deniz Aydın", "--agreement", "DPA-9"].concat(
        connectionArgs(odoo),
      ),
      env,
    );
    expect(result.code, result.stderr).toBe(0);
  };

  const phasesWritten = async (runId: number) => {
    const batches = await Promise.all(
      ["tags", "contacts"].map((phase) =>
        odooClient.executeKw<number[]>(RUN_MODEL, "get_committed_batches", [[runId], phase]),
      ),
    );
    const ledger = await odooClient.executeKw<number>("netmera.migration.ledger", "search_count", [
      [["run_id", "=", runId]],
    ]);
    return { batches: batches.flat().length, ledger };
  };

  beforeAll(async () => {
    odoo = await startOdoo({ addon: true, prefix: "gaps" });
    odooClient = clientFor(odoo);
    planDir = await writeSyntheticPlan(mkdtempSync(join(tmpdir(), "gaps-runs-")), {
      contacts: CONTACTS,
    });
  });

  afterAll(async () => {
    odooClient?.close();
    await odoo?.stop();
  });

  it("authorisation stops with new options keep one run", async () => {
    const first = await runCli(migrateArgs(["--sample", "5"]), env);
    expect(first.code).toBe(1);
    const [created] = await runs();
    expect(created).toMatchObject({ is_sample: true, sample_size: 5, state: "mapping_confirmed" });
    expect(first.stderr).toContain(
      `run ${created!.id} ("${created!.name}") has no GDPR authorisation yet: the data ` +
        "controller must authorise this transfer of personal data before any record is " +
        `written. Run ${created!.id} (a sample of 5 contact(s)) waits for that authorisation, ` +
        "and nothing was written. In Odoo open",
    );

    const second = await runCli(migrateArgs(["--sample", "7", "--batch-bytes", "100000"]), env);
    expect(second.code).toBe(1);
    const afterSecond = await runs();
    expect(afterSecond).toHaveLength(1);
    expect(afterSecond[0]).toMatchObject({
      id: created!.id,
      is_sample: true,
      sample_size: 7,
      name: expect.stringMatching(/^Netmera 2ed43866 sample of 7 \d{4}-\d\d-\d\d \d\d:\d\d UTC$/),
    });
    expect(second.stderr).toContain(
      `Run ${created!.id} (a sample of 7 contact(s)) waits for that authorisation, and nothing ` +
        "was written. It was a sample of 5 contact(s) that an earlier migrate of this plan " +
        "created and that was never authorised; it is now a sample of 7 contact(s), and no " +
        "other run was created.",
    );

    const full = await runCli(migrateArgs(), env);
    expect(full.code).toBe(1);
    expect(full.stderr).toContain(
      `Run ${created!.id} (a full run) waits for that authorisation, and nothing was written. ` +
        "It was a sample of 7 contact(s) that an earlier migrate of this plan created",
    );
    expect(await runs()).toEqual([
      expect.objectContaining({ id: created!.id, is_sample: false, sample_size: 0 }),
    ]);
    expect(await phasesWritten(created!.id)).toEqual({ batches: 0, ledger: 0 });
  });

  it("begin_import at the same moment: one call wins", async () => {
    const make = async (name: string) => {
      const id = await odooClient.executeKw<number>(RUN_MODEL, "create", [
        {
          name,
          snapshot_hash: "f".repeat(64),
          mapping_json: "{}",
          mapping_hash: "e".repeat(64),
          mapping_confirmed_by: "Deniz Aydın",
          mapping_confirmed_at: "2026-12-05 04:00:00",
        },
      ]);
      await odooClient.executeKw(RUN_MODEL, "action_confirm_gdpr", [[id], "DPA-9"]);
      return id;
    };
    const ids = [await make("Race A"), await make("Race B")];
    const clients = ids.map(() => clientFor(odoo));
    try {
      const settled = await Promise.allSettled(
        ids.map((id, index) => clients[index]!.executeKw(RUN_MODEL, "begin_import", [[id]])),
      );

      const won = settled.findIndex((result) => result.status === "fulfilled");
      const lost = 1 - won;
      expect(won).toBeGreaterThanOrEqual(0);
      expect(settled[won]).toEqual({
        status: "fulfilled",
        value: { state: "running", lease_seconds: 120 },
      });
      const refusal = settled[lost] as PromiseRejectedResult;
      expect(refusal.status).toBe("rejected");
      expect(refusal.reason).toBeInstanceOf(OdooFaultError);
      const names = ["Race A", "Race B"];
      expect((refusal.reason as Error).message).toMatch(
        new RegExp(
          `begin_import failed on db "${odoo.db}": Run ${names[won]} \\(id ${ids[won]}\\) is ` +
            "importing into this database now: its bridge sent a heartbeat \\d+ s ago, within " +
            `the lease of 2 min\\. Two runs importing at once write the same records, so run ` +
            `${names[lost]} \\(id ${ids[lost]}\\) did not start and nothing of it was written\\. ` +
            `Let run ${ids[won]} finish, or stop its migrate \\(Ctrl-C\\), then run migrate ` +
            `again: it continues run ${ids[lost]}\\.$`,
        ),
      );
      const states = await odooClient.executeKw<{ id: number; state: string }[]>(
        RUN_MODEL,
        "read",
        [ids],
        { fields: ["state"] },
      );
      expect(states.map((row) => row.state)).toEqual(
        ids.map((_, index) => (index === won ? "running" : "authorised")),
      );
      // Finished, so that it does not block the next test.
      await odooClient.executeKw(RUN_MODEL, "action_done", [[ids[won]]]);
    } finally {
      for (const client of clients) client.close();
    }
  });

  it("full and sample run started together: one is rejected", async () => {
    const [full] = await runs();
    await authorise(full!.id);
    const sampleStop = await runCli(migrateArgs(["--sample", "2"]), env);
    expect(sampleStop.code).toBe(1);
    const sampleId = Number(/run (\d+) \(/.exec(sampleStop.stderr)?.[1]);
    expect(sampleId).toBeGreaterThan(full!.id);
    await authorise(sampleId);

    const started = [
      spawnCli(migrateArgs(["--batch-rows", "50", "--concurrency", "1"]), env),
      spawnCli(migrateArgs(["--sample", "2"]), env),
    ];
    const codes = await Promise.all(started.map((child) => child.exited));
    const outputs = started.map((child) => child.output());

    expect(codes.slice().sort()).toEqual([0, 1]);
    const won = codes.indexOf(0);
    const lost = 1 - won;
    const ids = [full!.id, sampleId];
    expect(printedRunId(outputs[won]!)).toBe(ids[won]);
    const rows = await runs();
    const nameOf = (id: number) => rows.find((row) => row.id === id)!.name;
    expect(outputs[lost]).toContain(
      `Run ${nameOf(ids[won]!)} (id ${ids[won]}) is importing into this database now: its ` +
        "bridge sent a heartbeat ",
    );
    expect(outputs[lost]).toContain(
      `so run ${nameOf(ids[lost]!)} (id ${ids[lost]}) did not start and nothing of it was ` +
        `written. Let run ${ids[won]} finish, or stop its migrate (Ctrl-C), then run migrate ` +
        `again: it continues run ${ids[lost]}.`,
    );
    expect(outputs.join("\n")).not.toMatch(/duplicate key|unique constraint/);
    expect(rows.find((row) => row.id === ids[lost])!.state).toBe("authorised");
    expect(await phasesWritten(ids[lost]!)).toEqual({ batches: 0, ledger: 0 });
    expect(rows.find((row) => row.id === ids[won])!.state).toBe(won === 0 ? "done" : "sampled");

    // Once the winner finished, the refused run imports with the same command.
    const again = await runCli(lost === 0 ? migrateArgs() : migrateArgs(["--sample", "2"]), env);
    expect(again.code, again.stderr).toBe(0);
    expect(printedRunId(again.stdout)).toBe(ids[lost]);
  });

  it("a run created in Odoo by hand receives the plan", async () => {
    const id = await odooClient.executeKw<number>(RUN_MODEL, "create", [{ name: "by hand" }]);

    const result = await runCli(migrateArgs(["--run", String(id)]), env);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `run ${id} ("by hand") has no GDPR authorisation yet: the data controller must authorise`,
    );
    expect(result.stderr).toContain(
      "The run was created in Odoo without a snapshot or mapping; it now has this plan's " +
        "snapshot and confirmed mapping.",
    );
    const message = result.stderr.split("\n").find((line) => line.startsWith("error:"));
    expect(message).not.toContain("false");
  });
});
