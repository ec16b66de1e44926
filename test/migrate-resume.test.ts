import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { xmlIdFor } from "../bridge/src/core/xml-id.js";
import type { OdooClient } from "../bridge/src/odoo/client.js";
import {
  SYNTHETIC_TAGS,
  syntheticContact,
  writeSyntheticPlan,
} from "./fixtures/migrate/synthetic-plan.js";
import {
  clientFor,
  connectionArgs,
  printedRunId,
  runCli,
  spawnCli,
  tableRow,
} from "./migrate-support.js";
import { describeOdoo, startOdoo, type OdooServer } from "./support/odoo.js";

// Real migrations on a shared 2-core machine: a step may take minutes when other suites run.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 600_000 });

/**
 * Reliability against a real Odoo: a migrate process killed with SIGKILL or stopped with SIGINT
 * mid-phase and started again, and an Odoo server stopped and started while migrate is retrying. Either way the end
 * state must be exactly the plan: every contact once, with its values.
 */

const CONTACTS = 600;
const BATCH_ROWS = 25;
const BATCHES = CONTACTS / BATCH_ROWS;
const env = { ODOO_PASSWORD: "admin" };

describeOdoo("migrate resume and outage", () => {
  let odoo: OdooServer;
  let odooClient: OdooClient;

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

  /** Create the run for a plan and authorise it; returns the run id. */
  async function authorisedRun(planDir: string): Promise<number> {
    const first = await runCli(migrateArgs(planDir), env);
    const runId = Number(/run (\d+) \(/.exec(first.stderr)?.[1]);
    expect(runId, first.stderr).toBeGreaterThan(0);
    const authorise = await runCli(
      [
        "authorise",
        "--run",
        String(runId),
        "--by",
        "Deniz Aydın",
        "--agreement",
        "DPA-7",
        ...connectionArgs(odoo),
      ],
      env,
    );
    expect(authorise.code, authorise.stderr).toBe(0);
    return runId;
  }

  const committedBatches = (runId: number) =>
    odooClient.executeKw<number[]>("netmera.migration.run", "get_committed_batches", [
      [runId],
      "contacts",
    ]);

  async function waitForBatches(runId: number, count: number, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await committedBatches(runId)).length < count) {
      if (Date.now() > deadline)
        throw new Error(`fewer than ${count} batches after ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  /** Every contact of [start, start + count) exactly once, with the plan's values and tags. */
  async function expectContacts(start: number, count: number): Promise<void> {
    const tagNames = await odooClient.executeKw<{ id: number; name: string }[]>(
      "res.partner.category",
      "search_read",
      [[]],
      { fields: ["name"] },
    );
    const tagById = new Map(tagNames.map((tag) => [tag.id, tag.name]));
    const partners = await odooClient.executeKw<Record<string, unknown>[]>(
      "res.partner",
      "search_read",
      [[["netmera_external_id", "=like", "bench-%"]]],
      {
        fields: [
          "netmera_external_id",
          "name",
          "email",
          "phone",
          "city",
          "netmera_os",
          "category_id",
        ],
      },
    );
    const byExtId = new Map<string, Record<string, unknown>[]>();
    for (const partner of partners) {
      const key = partner.netmera_external_id as string;
      byExtId.set(key, [...(byExtId.get(key) ?? []), partner]);
    }

    for (let index = start; index < start + count; index += 1) {
      const { extId, values } = syntheticContact(index);
      const found = byExtId.get(extId) ?? [];
      expect(found, extId).toHaveLength(1);
      const partner = found[0]!;
      expect(partner.name).toBe(values.name);
      expect(partner.email).toBe(values.email);
      expect(partner.phone).toBe(values.phone);
      expect(partner.city).toBe(values.city);
      expect(partner.netmera_os).toBe(values.netmera_os);
      const expectedTags = (values.category_id as { xml_ids: string[] }).xml_ids.map(
        (xmlId) => `Etiket ${SYNTHETIC_TAGS.find((tag) => xmlIdFor("tag", tag) === xmlId)}`,
      );
      const tags = (partner.category_id as number[]).map((id) => tagById.get(id)).sort();
      expect(tags).toEqual(expectedTags.sort());
    }
  }

  beforeAll(async () => {
    odoo = await startOdoo({ addon: true, prefix: "migrate" });
    odooClient = clientFor(odoo);
  });

  afterAll(async () => {
    odooClient?.close();
    await odoo?.stop();
  });

  it("continues after SIGKILL from the last committed batch, with nothing twice", async () => {
    const planDir = await writeSyntheticPlan(mkdtempSync(join(tmpdir(), "migrate-kill-")), {
      contacts: CONTACTS,
    });
    const runId = await authorisedRun(planDir);

    const killed = spawnCli(
      migrateArgs(planDir, ["--batch-rows", String(BATCH_ROWS), "--concurrency", "2"]),
      env,
    );
    await waitForBatches(runId, 4);
    killed.child.kill("SIGKILL");
    expect(await killed.exited).toBeNull();
    await sleep(2000);

    const before = await committedBatches(runId);
    expect(before.length).toBeGreaterThanOrEqual(4);
    expect(before.length).toBeLessThan(BATCHES);
    const [run] = await odooClient.executeKw<{ state: string }[]>(
      "netmera.migration.run",
      "read",
      [[runId]],
      { fields: ["state"] },
    );
    expect(run!.state).toBe("running");

    // The killed process's heartbeat is within the lease: migrate cannot tell it is gone.
    const refused = await runCli(migrateArgs(planDir), env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(
        `error: run ${runId} \\("[^"]+"\\) is being imported by another migrate: its last ` +
          "heartbeat came \\d+ s ago, within the lease of 2 min, so nothing was sent to Odoo\\. " +
          "Let that migrate finish, or stop it\\. If it is gone \\(killed, its machine lost, or " +
          "stopped while Odoo did not answer, so that it could not record its stop\\), " +
          "run the same command again with --takeover to resume now, or run it again once no " +
          "heartbeat has come for 2 min\\.",
      ),
    );
    expect(await committedBatches(runId)).toEqual(before);

    // Other limits on the command line do not change the numbering of a started run.
    const resumed = await runCli(migrateArgs(planDir, ["--batch-rows", "70", "--takeover"]), env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(printedRunId(resumed.stdout)).toBe(runId);
    expect(tableRow(resumed.stdout, "contacts")).toMatchObject({
      read: CONTACTS,
      created: CONTACTS,
      updated: 0,
      check: "ok",
    });
    expect(await committedBatches(runId)).toEqual(
      Array.from({ length: BATCHES }, (_, index) => index + 1),
    );
    await expectContacts(0, CONTACTS);
    const ledger = await odooClient.executeKw<number>("netmera.migration.ledger", "search_count", [
      [
        ["run_id", "=", runId],
        ["phase", "=", "contacts"],
        ["operation", "=", "create"],
      ],
    ]);
    expect(ledger).toBe(CONTACTS);
  });

  it("stops on SIGINT once the batches in flight commit, and the same command resumes", async () => {
    // Large enough that the import is still running after the second migrate below is refused.
    const contacts = 4 * CONTACTS;
    const batches = contacts / BATCH_ROWS;
    const start = 10 * CONTACTS;
    const planDir = await writeSyntheticPlan(mkdtempSync(join(tmpdir(), "migrate-sigint-")), {
      contacts,
      start,
    });
    const runId = await authorisedRun(planDir);
    const args = migrateArgs(planDir, ["--batch-rows", String(BATCH_ROWS), "--concurrency", "2"]);

    const stopped = spawnCli(args, env);
    await waitForBatches(runId, 3);
    // A second migrate while the first is importing is refused, and writes nothing.
    const second = await runCli(args, env);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`error: run ${runId} (`);
    expect(second.stderr).toContain("is being imported by another migrate");
    expect(stopped.child.exitCode).toBeNull();
    stopped.child.kill("SIGINT");
    expect(await stopped.exited, stopped.output()).toBe(130);
    const match = /^stopped after batch (\d+); run the same command again to resume/m.exec(
      stopped.output(),
    );
    expect(match, stopped.output()).not.toBeNull();
    const last = Number(match![1]);
    // Every batch up to the one named committed, and none after it.
    expect(last).toBeGreaterThanOrEqual(3);
    expect(last).toBeLessThan(batches);
    expect(await committedBatches(runId)).toEqual(
      Array.from({ length: last }, (_, index) => index + 1),
    );

    const resumed = await runCli(args, env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(printedRunId(resumed.stdout)).toBe(runId);
    expect(tableRow(resumed.stdout, "contacts")).toMatchObject({
      read: contacts,
      created: contacts,
      updated: 0,
      check: "ok",
    });
    expect(await committedBatches(runId)).toEqual(
      Array.from({ length: batches }, (_, index) => index + 1),
    );
    await expectContacts(start, contacts);
  });

  it("exits at once on a second SIGINT, and the run still resumes", async () => {
    const planDir = await writeSyntheticPlan(mkdtempSync(join(tmpdir(), "migrate-sigint2-")), {
      contacts: CONTACTS,
      start: 3 * CONTACTS,
    });
    const runId = await authorisedRun(planDir);
    const args = migrateArgs(planDir, ["--batch-rows", String(BATCH_ROWS), "--concurrency", "2"]);

    const stopped = spawnCli(args, env);
    await waitForBatches(runId, 2);
    stopped.child.kill("SIGINT");
    await sleep(20);
    stopped.child.kill("SIGINT");
    expect(await stopped.exited, stopped.output()).toBe(130);
    expect(stopped.output()).toContain("SIGINT again: exiting now");
    expect(stopped.output()).not.toContain("stopped after batch");

    // Exiting at once leaves the heartbeat within the lease; the operator knows it is gone.
    const resumed = await runCli([...args, "--takeover"], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(tableRow(resumed.stdout, "contacts")).toMatchObject({
      read: CONTACTS,
      created: CONTACTS,
      check: "ok",
    });
    await expectContacts(3 * CONTACTS, CONTACTS);
  });

  it("waits out an Odoo restart mid-run and finishes", async () => {
    // Three times the rows, and Odoo killed after the first batch: on a quiet machine the
    // smaller plan could finish between the batch check and the kill, leaving no outage.
    const contacts = 3 * CONTACTS;
    const planDir = await writeSyntheticPlan(mkdtempSync(join(tmpdir(), "migrate-outage-")), {
      contacts,
      start: 4 * CONTACTS,
    });
    const runId = await authorisedRun(planDir);

    const migrating = runCli(
      migrateArgs(planDir, ["--batch-rows", String(BATCH_ROWS), "--concurrency", "2"]),
      env,
    );
    await waitForBatches(runId, 1);
    await odoo.kill();
    await sleep(3000);
    await odoo.start();
    const result = await migrating;

    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("Odoo call failed, retrying");
    expect(tableRow(result.stdout, "contacts")).toMatchObject({
      read: contacts,
      created: contacts,
      check: "ok",
    });
    await expectContacts(4 * CONTACTS, contacts);
  });
});
