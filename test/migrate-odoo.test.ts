import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { xmlIdFor } from "../bridge/src/core/xml-id.js";
import type { OdooClient } from "../bridge/src/odoo/client.js";
import { checkMappingTargets, MAX_PARTNER_COLUMNS } from "../bridge/src/odoo/mapping-targets.js";
import { rowHash } from "./fixtures/migrate/synthetic-plan.js";
import {
  clientFor,
  connectionArgs,
  copyFixturePlan,
  printedRunId,
  recordPlanHashes,
  runCli as runCliOnce,
  tableRow,
} from "./migrate-support.js";
import { describeOdoo, startOdoo, type OdooServer } from "./support/odoo.js";

// Real migrations on a shared 2-core machine: a step may take minutes when other suites run.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 600_000 });

/** Full migrations of the hand-written fixture plan into a real Odoo 18 with the addon. */

/** The admin password of the test database, set distinctive so that a leak is unmistakable. */
const PASSWORD = "Gizli-Şifre-9931";
const CONTACT = (extId: string) => xmlIdFor("user", extId);

/** Every output of the suite, to check at the end that the password never appeared. */
const outputs: string[] = [];

async function runCli(args: string[], env: NodeJS.ProcessEnv) {
  const result = await runCliOnce(args, env);
  outputs.push(result.stdout, result.stderr);
  return result;
}

describeOdoo("migrate into a real Odoo", () => {
  let odoo: OdooServer;
  let odooClient: OdooClient;
  let planDir: string;
  let env: NodeJS.ProcessEnv;
  let selinId: number;
  const runIds: number[] = [];
  let emptyDump: string;

  const migrateArgs = (dir: string, extra: string[] = []) => [
    "migrate",
    join(dir, "snapshot"),
    "--plan",
    dir,
    "--mapping",
    join(dir, "mapping.json"),
    ...connectionArgs(odoo),
    ...extra,
  ];

  async function partnerByXmlId(xmlId: string, fields: string[]): Promise<Record<string, unknown>> {
    const [data] = await odooClient.executeKw<{ res_id: number }[]>(
      "ir.model.data",
      "search_read",
      [
        [
          ["module", "=", "__import__"],
          ["name", "=", xmlId],
        ],
      ],
      { fields: ["res_id"] },
    );
    expect(data, `external ID ${xmlId}`).toBeDefined();
    const [partner] = await odooClient.executeKw<Record<string, unknown>[]>(
      "res.partner",
      "read",
      [[data!.res_id]],
      { fields },
    );
    return partner!;
  }

  /** Partners, tags, custom fields, stages, campaigns and languages, as comparable text. */
  async function dumpState(): Promise<string> {
    const customFields = await odooClient.executeKw<{ name: string }[]>(
      "ir.model.fields",
      "search_read",
      [
        [
          ["model", "=", "res.partner"],
          ["name", "=like", "x_netmera_%"],
        ],
      ],
      { fields: ["name", "ttype", "field_description"], order: "name" },
    );
    const partnerFields = [
      "name",
      "email",
      "phone",
      "mobile",
      "city",
      "country_id",
      "lang",
      "parent_id",
      "category_id",
      "user_id",
      "netmera_external_id",
      "netmera_os",
      "netmera_segment_stage_id",
      ...customFields.map((field) => field.name),
    ];
    const read = (model: string, fields: string[], domain: unknown[] = []) =>
      odooClient.executeKw(model, "search_read", [domain], {
        fields,
        order: "id",
        context: { active_test: false },
      });
    return JSON.stringify(
      {
        partners: await read("res.partner", partnerFields),
        tags: await read("res.partner.category", ["name"]),
        fields: customFields,
        stages: await read("netmera.segment.stage", ["name", "segment_key"]),
        campaigns: await read("utm.campaign", ["name"]),
        langs: await read("res.lang", ["code"], [["active", "=", true]]),
      },
      null,
      1,
    );
  }

  beforeAll(async () => {
    odoo = await startOdoo({ addon: true, prefix: "migrate" });
    const setup = clientFor(odoo);
    await setup.executeKw("res.users", "write", [[2], { password: PASSWORD }]);
    setup.close();
    odooClient = clientFor(odoo, PASSWORD);
    env = { ODOO_PASSWORD: PASSWORD };
    planDir = copyFixturePlan();
    // The panel owner exists in Odoo under another letter case than in the plan.
    selinId = await odooClient.executeKw<number>("res.users", "create", [
      {
        name: "Selin Kaya",
        login: "selin.kaya@example.com.tr",
        email: "selin.kaya@example.com.tr",
      },
    ]);
    emptyDump = await dumpState();
  });

  afterAll(async () => {
    odooClient?.close();
    await odoo?.stop();
  });

  it("stops on a wrong password without printing it", async () => {
    const result = await runCli(migrateArgs(planDir), { ODOO_PASSWORD: "wrong-Şifre-123" });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`rejected the login "admin" on db "${odoo.db}"`);
    expect(result.stdout + result.stderr).not.toContain("wrong-Şifre-123");
  });

  it("stops on an unknown database with the fix", async () => {
    const args = migrateArgs(planDir).map((arg) => (arg === odoo.db ? "migrate_missing_db" : arg));
    const result = await runCli(args, env);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('has no database "migrate_missing_db"');
  });

  it("stops on an unconfirmed mapping and says what to run", async () => {
    const dir = copyFixturePlan();
    const mapping = JSON.parse(readFileSync(join(dir, "mapping.json"), "utf8"));
    mapping.confirmation = null;
    writeFileSync(join(dir, "mapping.json"), JSON.stringify(mapping));
    const result = await runCli(migrateArgs(dir), env);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("the mapping has not been confirmed");
    expect(result.stderr).toContain("netmera-odoo map");
  });

  it("names mapping targets this Odoo lacks or types differently", async () => {
    const entry = (name: string, model: string, field: string, type = "char") => ({
      source: { kind: "attribute" as const, name },
      target: { model, field, type: type as "char", action: "existing" as const },
      confidence: 1,
      reason: "test",
      review: false,
    });
    const entries = [
      entry("city", "res.partner", "city"),
      entry("membershipTier", "res.partner", "x_netmera_tier_missing"),
      entry("tier", "res.partner.category", "no_such_field"),
      entry("score", "res.partner", "email", "integer"),
    ];
    await expect(checkMappingTargets(odooClient, { entries })).rejects.toThrow(
      "the mapping does not fit this Odoo (3 problem(s)): " +
        'attribute "membershipTier" → res.partner.x_netmera_tier_missing: Odoo has no such field; ' +
        'attribute "score" → res.partner.email: the mapping writes integer values, the field is char; ' +
        'attribute "tier" → res.partner.category.no_such_field: Odoo has no such field. ' +
        "Change those entries, confirm the mapping and run plan again",
    );
    await expect(checkMappingTargets(odooClient, { entries: [entries[0]!] })).resolves.toBe(
      undefined,
    );
  });

  it("refuses a mapping that would crowd res_partner", async () => {
    const entries = Array.from({ length: MAX_PARTNER_COLUMNS }, (_, index) => ({
      source: { kind: "column" as const, name: `c${index}` },
      target: {
        model: "res.partner",
        field: `x_netmera_c${index}`,
        type: "char" as const,
        action: "create" as const,
      },
      confidence: 1,
      reason: "test",
      review: false,
    }));
    await expect(checkMappingTargets(odooClient, { entries })).rejects.toThrow(
      /^the mapping does not fit this Odoo \(1 problem\(s\)\): the mapping creates 1000 contact fields, and res.partner already has \d+ columns: more than 1000/,
    );
  });

  it("creates a run and waits for the GDPR authorisation", async () => {
    const result = await runCli(migrateArgs(planDir), env);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/run (\d+) \(".*"\) has no GDPR authorisation yet/);
    expect(result.stderr).toContain('click "Confirm GDPR Authorisation"');
    expect(result.stderr).toContain("netmera-odoo authorise --run");
    expect(await dumpState()).toBe(emptyDump);
  });

  it("authorises the run from the command line", async () => {
    const [run] = await odooClient.executeKw<{ id: number; state: string }[]>(
      "netmera.migration.run",
      "search_read",
      [[]],
      { fields: ["state"], order: "id desc", limit: 1 },
    );
    const result = await runCli(
      [
        "authorise",
        "--run",
        String(run!.id),
        "--by",
        "Deniz Aydın",
        "--agreement",
        "DPA-2024-017",
        ...connectionArgs(odoo),
      ],
      env,
    );

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Run ${run!.id}`);
    const [after] = await odooClient.executeKw<Record<string, unknown>[]>(
      "netmera.migration.run",
      "read",
      [[run!.id]],
      { fields: ["state", "gdpr_agreement_ref", "gdpr_confirmed_at"] },
    );
    expect(after!.state).toBe("authorised");
    expect(after!.gdpr_agreement_ref).toBe("DPA-2024-017");
    expect(after!.gdpr_confirmed_at).toBeTruthy();
    const notes = await odooClient.executeKw<{ body: string }[]>(
      "mail.message",
      "search_read",
      [
        [
          ["model", "=", "netmera.migration.run"],
          ["res_id", "=", run!.id],
          ["body", "ilike", "GDPR authorisation given by"],
        ],
      ],
      { fields: ["body"] },
    );
    expect(notes.map((note) => note.body)).toEqual([
      "<p>GDPR authorisation given by Deniz Aydın under agreement DPA-2024-017, recorded with " +
        "netmera-odoo authorise.</p>",
    ]);
  });

  it("migrates every phase and prints a balanced reconciliation", async () => {
    const result = await runCli(migrateArgs(planDir, ["--batch-rows", "4"]), env);

    expect(result.stderr).not.toContain("error:");
    expect(result.code).toBe(0);
    runIds.push(printedRunId(result.stdout));
    expect(tableRow(result.stdout, "contacts")).toMatchObject({
      read: 7,
      written: 5,
      created: 5,
      updated: 0,
      unchanged: 0,
      quarantined: 2,
      skipped: 0,
      check: "ok",
    });
    expect(tableRow(result.stdout, "companies")).toMatchObject({
      read: 2,
      created: 2,
      check: "ok",
    });
    expect(tableRow(result.stdout, "tags")).toMatchObject({ read: 4, created: 4, check: "ok" });
    expect(tableRow(result.stdout, "owners")).toMatchObject({ read: 1, written: 1, check: "ok" });
    expect(result.stdout).toContain("x_netmera_loyalty_points");

    const [run] = await odooClient.executeKw<Record<string, unknown>[]>(
      "netmera.migration.run",
      "read",
      [[runIds[0]]],
      { fields: ["state"] },
    );
    expect(run!.state).toBe("done");
  });

  it("stores progress and reconciliation on the run", async () => {
    const [run] = await odooClient.executeKw<Record<string, unknown>[]>(
      "netmera.migration.run",
      "read",
      [[runIds[0]]],
      { fields: ["progress_phase", "progress_done", "progress_total"] },
    );
    expect(run!.progress_phase).toBe("campaigns");
    expect(run!.progress_done).toBe(1);
    expect(run!.progress_total).toBe(1);
    const [contacts] = await odooClient.executeKw<Record<string, unknown>[]>(
      "netmera.migration.reconciliation",
      "search_read",
      [
        [
          ["run_id", "=", runIds[0]],
          ["phase", "=", "contacts"],
        ],
      ],
      {
        fields: [
          "read_count",
          "planned_count",
          "written_count",
          "quarantined_count",
          "error_count",
        ],
      },
    );
    expect(contacts).toMatchObject({
      read_count: 7,
      planned_count: 6,
      written_count: 5,
      quarantined_count: 2,
      error_count: 1,
    });
  });

  it("writes Turkish text, links, tags, stage, owner and device fields", async () => {
    const ayse = await partnerByXmlId(CONTACT("ayse.k"), [
      "name",
      "email",
      "city",
      "country_id",
      "lang",
      "parent_id",
      "category_id",
      "netmera_segment_stage_id",
      "user_id",
      "netmera_external_id",
      "netmera_os",
      "netmera_app_version",
      "netmera_device_model",
    ]);
    expect(ayse.name).toBe("Ayşe Kılıç");
    expect(ayse.email).toBe("ayse.kilic@example.com.tr");
    expect((ayse.country_id as [number, string])[1]).toBe("Turkey");
    expect(ayse.lang).toBe("tr_TR");
    expect((ayse.parent_id as [number, string])[1]).toBe("Anadolu Tekstil A.Ş.");
    expect((ayse.netmera_segment_stage_id as [number, string])[1]).toBe("İstanbul Segmenti");
    expect((ayse.user_id as [number, string])[0]).toBe(selinId);
    expect(ayse.netmera_external_id).toBe("ayse.k");
    expect(ayse.netmera_os).toBe("ANDROID 13");
    expect(ayse.netmera_app_version).toBe("4.2.1");
    expect(ayse.netmera_device_model).toBe("SM-G991B");
    const tags = await odooClient.executeKw<{ name: string }[]>(
      "res.partner.category",
      "read",
      [ayse.category_id],
      { fields: ["name"] },
    );
    expect(tags.map((tag) => tag.name).sort()).toEqual([
      "Sadık Müşteri",
      "Segment: İstanbul",
      "VIP",
    ]);

    // extIds that differ only by case stay two contacts.
    const kaya = await partnerByXmlId(CONTACT("AYSE.K"), ["name", "netmera_external_id", "city"]);
    expect(kaya.name).toBe("Ayşe Kaya");
    expect(kaya.netmera_external_id).toBe("AYSE.K");
    // A contact without a company keeps its own address (Odoo copies a company's address to
    // the contacts linked to it).
    expect(kaya.city).toBe("İstanbul");
  });

  it("writes the campaign with its medium and counts", async () => {
    const [campaign] = await odooClient.executeKw<Record<string, unknown>[]>(
      "utm.campaign",
      "search_read",
      [[["netmera_campaign_id", "=", "cmp-1001"]]],
      { fields: ["title", "netmera_sent", "netmera_medium_id", "netmera_content"] },
    );
    expect(campaign!.title).toBe("Black Friday Erken Erişim");
    expect(campaign!.netmera_sent).toBe(1200);
    expect((campaign!.netmera_medium_id as [number, string])[1]).toBe("Push Notification");
    expect(campaign!.netmera_content).toBe("Kasım indirimleri başladı! %50'ye varan fırsatlar.");
  });

  it("writes x_netmera fields of every type", async () => {
    const ayse = await partnerByXmlId(CONTACT("ayse.k"), [
      "x_netmera_loyalty_points",
      "x_netmera_lifetime_value",
      "x_netmera_is_premium",
      "x_netmera_last_purchase",
      "x_netmera_last_seen",
      "x_netmera_customer_note",
      "x_netmera_favorite_categories",
      "x_netmera_membership_tier",
    ]);
    expect(ayse.x_netmera_loyalty_points).toBe(12010);
    expect(ayse.x_netmera_lifetime_value).toBeCloseTo(23993.77, 2);
    expect(ayse.x_netmera_is_premium).toBe(true);
    expect(ayse.x_netmera_last_purchase).toBe("2024-05-03");
    expect(ayse.x_netmera_last_seen).toBe("2024-05-03 09:15:00");
    expect(ayse.x_netmera_customer_note).toBe("Çok memnun; şubeyi önerdi.\nİkinci satır.");
    expect(ayse.x_netmera_favorite_categories).toBe("elektronik;ev-yaşam;spor");
    expect(ayse.x_netmera_membership_tier).toBe("gold");
  });

  it("lists the row Odoo rejected in the errors file", async () => {
    const csv = readFileSync(join(planDir, `odoo-errors-run-${runIds[0]}.csv`), "utf8");
    const lines = csv.trim().split("\n");

    expect(lines[0]).toBe("phase,batch,xml_id,field,message,source_file,source_line");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`contacts,`);
    expect(lines[1]).toContain(CONTACT("C1000006"));
    expect(lines[1]).toContain("x_netmera_loyalty_points");
    expect(lines[1]).toContain("users/people-export.csv,5");
  });

  it("writes nothing when the same plan runs again", async () => {
    const before = await dumpState();
    const result = await runCli(migrateArgs(planDir), env);
    const runId = Number(/run (\d+) /.exec(result.stderr)?.[1]);
    expect(runId).toBeGreaterThan(runIds[0]!);
    await runCli(
      [
        "authorise",
        "--run",
        String(runId),
        "--by",
        "Deniz Aydın",
        "--agreement",
        "DPA-2024-017",
        ...connectionArgs(odoo),
      ],
      env,
    );

    const second = await runCli(migrateArgs(planDir), env);
    expect(second.code).toBe(0);
    runIds.push(printedRunId(second.stdout));
    for (const phase of ["tags", "stages", "companies", "contacts", "campaigns"]) {
      const row = tableRow(second.stdout, phase);
      expect(row.created, phase).toBe(0);
      expect(row.updated, phase).toBe(0);
      expect(row.check, phase).toBe("ok");
    }

    expect(tableRow(second.stdout, "contacts").unchanged).toBe(5);
    expect(await dumpState()).toBe(before);
  });

  it("writes only the changed record of a changed plan, and rolls it back exactly", async () => {
    const dir = copyFixturePlan();
    const file = join(dir, "plan", "contacts.ndjson");
    const rows = readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    const kaya = rows.find((row) => row.values.netmera_external_id === "AYSE.K");
    kaya.values.city = "Ankara";
    kaya.values.category_id = { xml_ids: [xmlIdFor("tag", "newsletter"), xmlIdFor("tag", "vip")] };
    kaya.hash = rowHash(kaya.values);
    writeFileSync(file, rows.map((row) => JSON.stringify(row)).join("\n") + "\n");
    recordPlanHashes(dir);
    const before = await dumpState();

    const first = await runCli(migrateArgs(dir), env);
    const runId = Number(/run (\d+) /.exec(first.stderr)?.[1]);
    await runCli(
      [
        "authorise",
        "--run",
        String(runId),
        "--by",
        "Deniz Aydın",
        "--agreement",
        "DPA-2024-017",
        ...connectionArgs(odoo),
      ],
      env,
    );
    const result = await runCli(migrateArgs(dir), env);
    expect(result.code).toBe(0);
    expect(tableRow(result.stdout, "contacts")).toMatchObject({
      created: 0,
      updated: 1,
      unchanged: 4,
    });
    const changed = await partnerByXmlId(CONTACT("AYSE.K"), ["city", "category_id"]);
    expect(changed.city).toBe("Ankara");
    expect(changed.category_id).toHaveLength(2);

    const rollback = await runCli(
      ["rollback", "--run", String(runId), ...connectionArgs(odoo)],
      env,
    );
    expect(rollback.code).toBe(0);
    expect(rollback.stdout).toContain("0 record(s) deleted, 1 record(s) restored");
    expect(await dumpState()).toBe(before);
  });

  it("rolls every run back to the state before the first", async () => {
    for (const runId of [...runIds].reverse()) {
      const result = await runCli(
        ["rollback", "--run", String(runId), ...connectionArgs(odoo)],
        env,
      );
      expect(result.code, result.stderr).toBe(0);
    }

    expect(await dumpState()).toBe(emptyDump);
    const again = await runCli(
      ["rollback", "--run", String(runIds[0]), ...connectionArgs(odoo)],
      env,
    );
    expect(again.stdout).toContain("was already rolled back; nothing changed.");
  });

  it("waits for an unmatched owner, then continues once matched", async () => {
    const dir = copyFixturePlan();
    const ownersFile = join(dir, "plan", "owners.ndjson");
    const ghost = { email: "ghost.owner@example.com.tr", name: "Hayalet Sahip" };
    const ownerRow = {
      xml_id: xmlIdFor("owner", ghost.email),
      values: ghost,
      hash: rowHash(ghost),
    };
    writeFileSync(ownersFile, readFileSync(ownersFile, "utf8") + JSON.stringify(ownerRow) + "\n");
    const contactsFile = join(dir, "plan", "contacts.ndjson");
    const rows = readFileSync(contactsFile, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    const lukas = rows.find((row) => row.values.netmera_external_id === "C1000017");
    lukas.values.user_id = { owner_email: "Ghost.Owner@Example.com.tr" };
    lukas.hash = rowHash(lukas.values);
    writeFileSync(contactsFile, rows.map((row) => JSON.stringify(row)).join("\n") + "\n");
    for (const name of ["plan/manifest.json", "reconciliation.json"]) {
      const path = join(dir, name);
      const data = JSON.parse(readFileSync(path, "utf8"));
      for (const phase of data.phases) {
        if (phase.name !== "owners") continue;
        for (const key of ["rows", "read", "planned"]) if (key in phase) phase[key] += 1;
      }
      writeFileSync(path, JSON.stringify(data));
    }
    recordPlanHashes(dir);

    const first = await runCli(migrateArgs(dir), env);
    const runId = Number(/run (\d+) /.exec(first.stderr)?.[1]);
    await runCli(
      [
        "authorise",
        "--run",
        String(runId),
        "--by",
        "Deniz Aydın",
        "--agreement",
        "DPA-2024-017",
        ...connectionArgs(odoo),
      ],
      env,
    );
    const stopped = await runCli(migrateArgs(dir), env);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain(
      `1 panel owner(s) of run ${runId} have no active Odoo user, so the contacts phase waits:`,
    );
    expect(stopped.stderr).toContain("ghost.owner@example.com.tr  Hayalet Sahip");
    expect(stopped.stderr).toContain("Netmera Migration › Owner Queue");
    const written = () =>
      odooClient.executeKw<number>("res.partner", "search_count", [
        [["netmera_external_id", "!=", false]],
      ]);
    expect(await written()).toBe(0);

    // A second attempt lists the owner again although its batch committed earlier.
    const again = await runCli(migrateArgs(dir), env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("ghost.owner@example.com.tr");

    // What an admin does in the Owner Queue: pick the Odoo user for the panel owner.
    const ghostUserId = await odooClient.executeKw<number>("res.users", "create", [
      { name: "Hayalet Sahip", login: "hayalet@example.com.tr" },
    ]);
    const [entry] = await odooClient.executeKw<{ id: number }[]>(
      "netmera.owner.queue",
      "search_read",
      [
        [
          ["run_id", "=", runId],
          ["email", "=", ghost.email],
        ],
      ],
      { fields: ["id"] },
    );
    await odooClient.executeKw("netmera.owner.queue", "write", [
      [entry!.id],
      { matched_user_id: ghostUserId },
    ]);

    const resumed = await runCli(migrateArgs(dir), env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(printedRunId(resumed.stdout)).toBe(runId);
    expect(tableRow(resumed.stdout, "owners")).toMatchObject({ read: 2, written: 2, check: "ok" });
    expect(tableRow(resumed.stdout, "contacts")).toMatchObject({ created: 5, check: "ok" });
    const lukasInOdoo = await partnerByXmlId(CONTACT("C1000017"), ["user_id"]);
    expect((lukasInOdoo.user_id as [number, string])[0]).toBe(ghostUserId);
  });

  it("never prints the password, even in debug logs", () => {
    expect(outputs.length).toBeGreaterThan(20);
    expect(outputs.join("\n")).not.toContain(PASSWORD);
    expect(outputs.join("\n")).toContain('"level":20');
  });
});
