import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { xmlIdFor } from "../bridge/src/core/xml-id.js";
import type { OdooClient } from "../bridge/src/odoo/client.js";
import { clientFor, connectionArgs, printedRunId, runCli, tableRow } from "./migrate-support.js";
import { describeOdoo, REPO_ROOT, startOdoo, type OdooServer } from "./support/odoo.js";

// Real migrations on a shared 2-core machine: a step may take minutes when other suites run.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 600_000 });

/**
 * The bundled sample snapshot from map to migrate: a sample run of three contacts, then the full
 * run (which must not write the sampled contacts twice), checked by value, then both rolled back.
 */

const SAMPLE = join(REPO_ROOT, "samples/small");
const OWNERS = [
  ["Selin Kaya", "selin.kaya@example.com.tr"],
  ["Burak Öztürk", "burak.ozturk@example.com.tr"],
  ["Deniz Aydın", "deniz.aydin@example.com.tr"],
];

describeOdoo("migrate the sample snapshot", () => {
  let odoo: OdooServer;
  let odooClient: OdooClient;
  let workDir: string;
  let mappingFile: string;
  /** A private copy of the sample, so that a regenerated sample cannot change under the suite. */
  let snapshotDir: string;
  let initialPartners: number;
  const env = { ODOO_PASSWORD: "admin" };
  let sampleRunId: number;
  let againRunId: number;
  let fullRunId: number;

  const migrateArgs = (extra: string[] = []) => [
    "migrate",
    snapshotDir,
    "--mapping",
    mappingFile,
    ...connectionArgs(odoo),
    ...extra,
  ];

  async function runAuthorised(extra: string[]) {
    const first = await runCli(migrateArgs(extra), env);
    const runId = /run (\d+) \(/.exec(first.stderr)?.[1];
    expect(runId, first.stderr).toBeDefined();
    const authorise = await runCli(
      [
        "authorise",
        "--run",
        runId!,
        "--by",
        "Deniz Aydın",
        "--agreement",
        "DPA-7",
        ...connectionArgs(odoo),
      ],
      env,
    );
    expect(authorise.code, authorise.stderr).toBe(0);
    return runCli(migrateArgs(extra), env);
  }

  const partnerCount = (domain: unknown[] = []) =>
    odooClient.executeKw<number>("res.partner", "search_count", [domain], {
      context: { active_test: false },
    });

  async function partner(extId: string, fields: string[]): Promise<Record<string, unknown>> {
    const [found] = await odooClient.executeKw<Record<string, unknown>[]>(
      "res.partner",
      "search_read",
      [[["netmera_external_id", "=", extId]]],
      { fields },
    );
    expect(found, extId).toBeDefined();
    return found!;
  }

  beforeAll(async () => {
    odoo = await startOdoo({ addon: true, prefix: "migrate" });
    odooClient = clientFor(odoo);
    for (const [name, email] of OWNERS) {
      await odooClient.executeKw("res.users", "create", [{ name, login: email, email }]);
    }

    workDir = mkdtempSync(join(tmpdir(), "migrate-sample-"));
    snapshotDir = join(workDir, "snapshot");
    cpSync(SAMPLE, snapshotDir, { recursive: true });
    mappingFile = join(workDir, "mapping.json");
    const propose = await runCli(["map", snapshotDir, "--out", workDir], env);
    expect(propose.code, propose.stderr).toBe(0);
    const confirm = await runCli(
      ["map", snapshotDir, "--out", workDir, "--confirm", "--by", "Deniz Aydın"],
      env,
    );
    expect(confirm.code, confirm.stderr).toBe(0);
    initialPartners = await partnerCount();
  });

  afterAll(async () => {
    odooClient?.close();
    await odoo?.stop();
  });

  it("refuses a plan file edited after plan wrote it, and leaves Odoo unchanged", async () => {
    const planDir = join(workDir, "edited-plan");
    const plan = await runCli(
      ["plan", snapshotDir, "--mapping", mappingFile, "--out", planDir, "--no-progress"],
      env,
    );
    expect(plan.code, plan.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(planDir, "plan", "manifest.json"), "utf8"));
    const contactsEntry = manifest.phases.find(
      (phase: { name: string }) => phase.name === "contacts",
    );
    expect(contactsEntry.sha256).toMatch(/^[0-9a-f]{64}$/);
    const contactsFile = join(planDir, "plan", "contacts.ndjson");
    const lines = readFileSync(contactsFile, "utf8").split("\n");
    const row = JSON.parse(lines[1]!);
    row.values.name = "Edited By Hand";
    lines[1] = JSON.stringify(row);
    writeFileSync(contactsFile, lines.join("\n"));
    const runsBefore = await odooClient.executeKw<number>("netmera.migration.run", "search_count", [
      [],
    ]);

    const result = await runCli([...migrateArgs(), "--plan", planDir], env);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `error: the plan in ${planDir} changed after plan wrote it, so nothing was sent to Odoo:`,
    );
    expect(result.stderr).toContain(`  plan/contacts.ndjson: sha256 `);
    expect(result.stderr).toContain(
      `Re-run plan to rebuild it (netmera-odoo plan ${snapshotDir} --mapping ${mappingFile} ` +
        `--out ${planDir}), then run migrate again.`,
    );
    expect(await partnerCount()).toBe(initialPartners);
    expect(await partnerCount([["name", "=", "Edited By Hand"]])).toBe(0);
    expect(await odooClient.executeKw<number>("netmera.migration.run", "search_count", [[]])).toBe(
      runsBefore,
    );
  });

  it("imports a deterministic sample of three contacts and reports where they are", async () => {
    const result = await runAuthorised(["--sample", "3"]);

    expect(result.code, result.stderr).toBe(0);
    sampleRunId = printedRunId(result.stdout);
    expect(tableRow(result.stdout, "contacts")).toMatchObject({ read: 3, created: 3, check: "ok" });
    expect(result.stdout).toContain(`Sample run ${sampleRunId}`);
    expect(result.stdout).toContain(
      ["netmera-odoo rollback --run", String(sampleRunId), ...connectionArgs(odoo)].join(" "),
    );
    const links = [...result.stdout.matchAll(/\/web#id=(\d+)&model=res\.partner/g)];
    expect(links).toHaveLength(3);
    expect(await partnerCount([["netmera_external_id", "!=", false]])).toBe(3);

    // The plan step ran beside the mapping, because no --plan was given.
    expect(existsSync(join(workDir, "netmera-odoo-work"))).toBe(true);
  });

  it("picks the same sample again", async () => {
    const [run] = await odooClient.executeKw<{ state: string }[]>(
      "netmera.migration.run",
      "read",
      [[sampleRunId]],
      { fields: ["state"] },
    );
    expect(run!.state).toBe("sampled");
    const sampled = await odooClient.executeKw<{ netmera_external_id: string }[]>(
      "res.partner",
      "search_read",
      [[["netmera_external_id", "!=", false]]],
      { fields: ["netmera_external_id"] },
    );
    const again = await runAuthorised(["--sample", "3"]);
    expect(again.code, again.stderr).toBe(0);
    againRunId = printedRunId(again.stdout);
    expect(tableRow(again.stdout, "contacts")).toMatchObject({ read: 3, created: 0, unchanged: 3 });
    expect(await partnerCount([["netmera_external_id", "!=", false]])).toBe(sampled.length);
  });

  it("runs the full migration without writing the sample twice", async () => {
    const result = await runAuthorised([]);

    expect(result.code, result.stderr).toBe(0);
    fullRunId = printedRunId(result.stdout);
    expect(tableRow(result.stdout, "contacts")).toMatchObject({
      read: 327,
      written: 202,
      created: 199,
      unchanged: 3,
      skipped: 125,
      check: "ok",
    });
    expect(tableRow(result.stdout, "history")).toMatchObject({ check: "ok" });
    // 198 users have an extId; 4 anonymous installations get a placeholder contact each.
    expect(await partnerCount([["netmera_external_id", "!=", false]])).toBe(198);
    expect(await partnerCount([["netmera_needs_enrichment", "=", true]])).toBe(4);
    const extIds = await odooClient.executeKw<{ netmera_external_id: string }[]>(
      "res.partner",
      "search_read",
      [[["netmera_external_id", "!=", false]]],
      { fields: ["netmera_external_id"] },
    );
    expect(new Set(extIds.map((row) => row.netmera_external_id)).size).toBe(198);
    const contactIds = await odooClient.executeKw<number>("ir.model.data", "search_count", [
      [
        ["module", "=", "__import__"],
        ["model", "=", "res.partner"],
        ["name", "=like", "netmera_user_%"],
      ],
    ]);
    expect(contactIds).toBe(202);
  });

  it("writes the sample's records with their values", async () => {
    const kaya = await partner("AYSE.K", [
      "name",
      "email",
      "mobile",
      "city",
      "lang",
      "x_netmera_date_of_birth",
      "x_netmera_gender",
      "x_netmera_loyalty_points",
      "x_netmera_lifetime_value",
      "x_netmera_is_premium",
      "x_netmera_membership_tier",
      "netmera_os",
      "netmera_device_model",
      "netmera_app_version",
      "netmera_segment_stage_id",
      "user_id",
      "category_id",
    ]);
    expect(kaya.name).toBe("Ayşe Kaya");
    expect(kaya.email).toBe("ayse.kaya@example.com.tr");
    expect(kaya.mobile).toBe("+905054664563");
    expect(kaya.city).toBe("İstanbul");
    expect(kaya.lang).toBe("tr_TR");
    expect(kaya.x_netmera_date_of_birth).toBe("1985-02-05");
    expect(kaya.x_netmera_gender).toBe("male");
    expect(kaya.x_netmera_loyalty_points).toBe(20247);
    expect(kaya.x_netmera_lifetime_value).toBeCloseTo(37985.19, 2);
    expect(kaya.x_netmera_is_premium).toBe(true);
    expect(kaya.x_netmera_membership_tier).toBe("bronze");
    // The device file's OS column holds "16.7", a version; netmera_os holds the platform.
    expect(kaya.netmera_os).toBe("IOS");
    expect(kaya.netmera_device_model).toBe("iPhone13,2");
    // Of the two installations, the one whose model the user export names: app 5.2.0.
    expect(kaya.netmera_app_version).toBe("5.2.0");
    expect((kaya.user_id as [number, string])[1]).toBe("Selin Kaya");
    const tags = await odooClient.executeKw<{ name: string }[]>(
      "res.partner.category",
      "read",
      [kaya.category_id],
      { fields: ["name"] },
    );
    expect(tags.map((tag) => tag.name)).toContain("İstanbul Kullanıcıları");
    expect(tags).toHaveLength(4);

    const sukru = await partner("C1000006", ["name", "parent_id", "netmera_segment_stage_id"]);
    expect((sukru.parent_id as [number, string])[1]).toContain("A.Ş.");
    expect(sukru.netmera_segment_stage_id).toBeTruthy();

    // Each user's history lands as notes on the contact's chatter.
    const kayaId = (await partner("AYSE.K", ["id"])).id as number;
    const notes = await odooClient.executeKw<number>("mail.message", "search_count", [
      [
        ["model", "=", "res.partner"],
        ["res_id", "=", kayaId],
        ["message_type", "in", ["comment", "notification"]],
      ],
    ]);
    expect(notes).toBeGreaterThan(0);
  });

  it("rolls back the full run and then the samples to the state before them", async () => {
    // Newest first: the second sample found the first one's contacts, so it goes before it.
    for (const runId of [fullRunId, againRunId, sampleRunId]) {
      const result = await runCli(
        ["rollback", "--run", String(runId), ...connectionArgs(odoo)],
        env,
      );
      expect(result.code, result.stderr).toBe(0);
    }

    expect(await partnerCount([["netmera_external_id", "!=", false]])).toBe(0);
    expect(await partnerCount()).toBe(initialPartners);
    const xmlId = xmlIdFor("user", "AYSE.K");
    const leftover = await odooClient.executeKw<number>("ir.model.data", "search_count", [
      [
        ["module", "=", "__import__"],
        ["name", "=", xmlId],
      ],
    ]);
    expect(leftover).toBe(0);
  });

  it("leaves the snapshot folder untouched", () => {
    const manifest = JSON.parse(readFileSync(join(snapshotDir, "manifest.json"), "utf8"));
    expect(existsSync(join(snapshotDir, "netmera-odoo-work"))).toBe(false);
    expect(Object.keys(manifest.files)).not.toContain("mapping.json");
  });
});
