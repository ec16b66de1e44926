import { afterAll, beforeAll, expect, it } from "vitest";
import type { OdooClient } from "../bridge/src/odoo/client.js";
import { clientFor, connectionArgs, runCli } from "./migrate-support.js";
import { describeOdoo, startOdoo, type OdooServer } from "./support/odoo.js";

const RUN_MODEL = "netmera.migration.run";
const env = { ODOO_PASSWORD: "admin" };
const KAYA = { name: "Ayşe Kaya", email: "ayse.kaya@example.com.tr" };

/**
 * `netmera-odoo rollback` against a real Odoo: the addon's refusals reach the command line,
 * and `--force` rolls back what people worked on. Runs are filled through `import_batch`, the
 * call migrate makes, so that each case needs a few rows only.
 */
describeOdoo("rollback refusals and --force", () => {
  let odoo: OdooServer;
  let client: OdooClient;

  beforeAll(async () => {
    odoo = await startOdoo({ addon: true });
    client = clientFor(odoo);
  }, 600_000);

  afterAll(async () => {
    client?.close();
    await odoo?.stop();
  });

  /** Create a finished run that imported Ayşe Kaya's contact row. */
  async function finishedRun(name: string): Promise<number> {
    const runId = await client.executeKw<number>(RUN_MODEL, "create", [
      { name, mapping_json: '{"users": {}}' },
    ]);
    await client.executeKw(RUN_MODEL, "action_confirm_mapping", [[runId]]);
    await client.executeKw(RUN_MODEL, "action_confirm_gdpr", [[runId], "DPA-2024-017"]);
    await client.executeKw(RUN_MODEL, "action_start", [[runId]]);
    await client.executeKw(RUN_MODEL, "import_batch", [
      [runId],
      "contacts",
      0,
      [{ xml_id: "netmera_user_ayse_k", values: KAYA, hash: "kaya-hash-1" }],
    ]);
    await client.executeKw(RUN_MODEL, "action_done", [[runId]]);
    return runId;
  }

  async function kayaId(): Promise<number | false> {
    const ids = await client.executeKw<number[]>("res.partner", "search", [
      [["email", "=", KAYA.email]],
    ]);
    return ids[0] ?? false;
  }

  async function runState(runId: number): Promise<string> {
    const [run] = await client.executeKw<{ state: string }[]>(RUN_MODEL, "read", [[runId]], {
      fields: ["state"],
    });
    return run!.state;
  }

  const rollback = (runId: number, extra: string[] = []) =>
    runCli(["rollback", "--run", String(runId), ...connectionArgs(odoo), ...extra], env);

  it("refuses while a later run is not rolled back, and works newest first", async () => {
    const first = await finishedRun("First");
    const second = await finishedRun("Second");

    const refused = await rollback(first);

    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `Run ${first} ("First") cannot be rolled back while later runs that are not rolled back ` +
        `still exist: ${second} ("Second", done).`,
    );
    expect(refused.stderr).toContain(
      `Roll them back first, newest first: ${second}; then roll back run ${first}.`,
    );
    expect(await runState(first)).toBe("done");
    expect(await kayaId()).not.toBe(false);

    const newest = await rollback(second);
    expect(newest.code, newest.stderr).toBe(0);
    expect(newest.stdout).toContain("0 record(s) deleted, 0 record(s) restored");
    const oldest = await rollback(first);
    expect(oldest.code, oldest.stderr).toBe(0);
    expect(oldest.stdout).toContain("1 record(s) deleted, 0 record(s) restored");
    expect(await kayaId()).toBe(false);
    const bindings = await client.executeKw<number>("netmera.migration.binding", "search_count", [
      [["xml_id", "=", "netmera_user_ayse_k"]],
    ]);
    expect(bindings).toBe(0);

    const again = await rollback(first);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^Run \d+ \(".*"\) was already rolled back; nothing changed\.\n$/);
  }, 120_000);

  it("refuses a lead reference unless forced", async () => {
    const runId = await finishedRun("With a lead");
    const contactId = (await kayaId()) as number;
    const leadId = await client.executeKw<number>("crm.lead", "create", [
      { name: "Big deal for Ayşe", partner_id: contactId, expected_revenue: 50000 },
    ]);

    const refused = await rollback(runId);

    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      "0 record(s) changed after the run, 0 record(s) have chatter messages not written by " +
        "the migration, 1 reference(s) from other records point to records the run created.",
    );
    expect(refused.stderr).toContain(
      `crm.lead ${leadId} "Big deal for Ayşe" points to res.partner ${contactId} ` +
        `"Ayşe Kaya" in its field Customer`,
    );
    expect(await runState(runId)).toBe("done");
    expect(await kayaId()).toBe(contactId);

    const forced = await rollback(runId, ["--force"]);

    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain("1 record(s) deleted, 0 record(s) restored");
    expect(forced.stdout).toContain("Forced: 1 finding(s) of work people did after the run");
    expect(await runState(runId)).toBe("rolled_back");
    expect(await kayaId()).toBe(false);
    const [lead] = await client.executeKw<{ partner_id: unknown; expected_revenue: number }[]>(
      "crm.lead",
      "read",
      [[leadId]],
      { fields: ["partner_id", "expected_revenue"] },
    );
    expect(lead).toEqual({ id: leadId, partner_id: false, expected_revenue: 50000 });
    const notes = await client.executeKw<{ body: string }[]>(
      "mail.message",
      "search_read",
      [
        [
          ["model", "=", RUN_MODEL],
          ["res_id", "=", runId],
          ["body", "ilike", "Forced rollback"],
        ],
      ],
      { fields: ["body"] },
    );
    expect(notes).toHaveLength(1);
    expect(notes[0]!.body).toContain(`crm.lead ${leadId}`);
  }, 120_000);
});
