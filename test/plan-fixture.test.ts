import {
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { xmlIdFor } from "../bridge/src/core/xml-id.js";
import { plannedContactExtIds, type PhaseProducer } from "../bridge/src/plan/context.js";
import { DEFAULT_PRODUCERS, importOrder, productionOrder } from "../bridge/src/plan/registry.js";
import { rowHash } from "../bridge/src/plan/row-hash.js";
import { runPlan, type PlanResult } from "../bridge/src/plan/run-plan.js";

const FIXTURE = join(import.meta.dirname, "fixtures/reader/plan-basic");
const MAPPING = join(import.meta.dirname, "fixtures/reader/plan-basic.mapping.json");
const TOKENS = [
  "tokAAAA1111secretpushtoken",
  "tokBBBB2222secretpushtoken",
  "tokCCCC3333secretpushtoken",
  "tokDDDD4444secretpushtoken",
];

let out: string;
let result: PlanResult;

interface Row {
  xml_id?: string;
  values: Record<string, unknown>;
  hash: string;
  source?: { file: string; line: number };
}

function ndjson(phase: string): Row[] {
  return readFileSync(join(out, "plan", `${phase}.ndjson`), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Row);
}

function csv(name: string): Record<string, string>[] {
  return parse(readFileSync(join(out, name)), { columns: true }) as Record<string, string>[];
}

function contact(extId: string): Row {
  const row = ndjson("contacts").find((candidate) => candidate.xml_id === xmlIdFor("user", extId));
  if (!row) throw new Error(`no contact for ${extId}`);
  return row;
}

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? allFiles(path) : [path];
  });
}

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), "reader-plan-"));
  result = await runPlan({
    snapshotDir: FIXTURE,
    mappingFile: MAPPING,
    outDir: out,
    logger: silentLogger,
  });
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("plan on a fixture with known bad rows", () => {
  it("reconciles every phase with exact counts", () => {
    const counts = Object.fromEntries(
      result.phases.map(({ name, read, planned, quarantined, skipped }) => [
        name,
        [read, planned, quarantined, skipped],
      ]),
    );
    expect(counts.schema).toEqual([9, 9, 0, 0]);
    expect(counts.tags).toEqual([5, 5, 0, 0]);
    expect(counts.stages).toEqual([2, 2, 0, 0]);
    expect(counts.owners).toEqual([3, 1, 1, 1]);
    expect(counts.companies).toEqual([3, 1, 1, 1]);
    // 11 user rows + 2 users known only from a tag file and a device file.
    expect(counts.contacts).toEqual([13, 8, 1, 4]);
    for (const phase of result.phases) {
      expect(phase.read, phase.name).toBe(phase.planned + phase.quarantined + phase.skipped);
    }
  });

  it("writes reconciliation.json with skip reasons and link counts", () => {
    const reconciliation = JSON.parse(readFileSync(join(out, "reconciliation.json"), "utf8"));
    const contacts = reconciliation.phases.find(
      (phase: { name: string }) => phase.name === "contacts",
    );
    expect(contacts.skippedReasons).toEqual({
      "empty row": 1,
      "merged into an earlier row with the same extId": 3,
    });
    expect(reconciliation.links).toEqual({
      memberships: { read: 7, linked: 6, quarantined: 1 },
      devices: { read: 4, linked: 3, quarantined: 1 },
    });
  });

  it("quarantines rows and values naming file, line, column and value", () => {
    const rows = csv("quarantine.csv");
    const ambiguous =
      'value dropped: cannot be read because the column in users/people.csv has numbers such as "1.200" that read as a decimal or as thousands in the two formats, and no value settles which format the column uses; the contact is planned without it';
    expect(rows).toEqual([
      {
        file: "owners.csv",
        line: "3",
        column: "email",
        value: "not-an-email",
        reason:
          "row rejected: an owner needs an e-mail address to be matched to an Odoo user (the value is not an email address)",
      },
      {
        file: "companies.csv",
        line: "3",
        column: "name",
        value: "",
        reason: "row rejected: a company needs a name",
      },
      {
        file: "segment-users/1001.csv",
        line: "4",
        column: "",
        value: "",
        reason: "membership not linked: the row has no extId, email or MSISDN",
      },
      {
        file: "devices.csv",
        line: "5",
        column: "",
        value: "",
        reason: "device not linked: the row has neither an extId nor an installation id",
      },
      {
        file: "users/people.csv",
        line: "6",
        column: "",
        value: "too | many | fields | here | x | y",
        reason: "row rejected: has 6 fields, the header has 17",
      },
      {
        file: "users/people.csv",
        line: "2",
        column: "Sadakat Puanı",
        value: "1.200",
        reason: ambiguous,
      },
      {
        file: "users/segment-vip.csv",
        line: "2",
        column: "city",
        value: "Bursa",
        reason:
          'value dropped: the same extId has "İstanbul" in users/people.csv line 3, and the value of the first file in name order is kept',
      },
      {
        file: "users/people.csv",
        line: "3",
        column: "accountManager",
        value: "nobody@example.com",
        reason:
          "value dropped: no panel user in owners.csv has this e-mail; the contact is planned without it",
      },
      {
        file: "users/people.csv",
        line: "3",
        column: "companyId",
        value: "C-999",
        reason:
          "value dropped: no company in companies.csv has this id; the contact is planned without it",
      },
      {
        file: "users/people.csv",
        line: "4",
        column: "Email",
        value: "mehmet@@example",
        reason:
          "value dropped: is not an email address (invalid part before @); the contact is planned without it",
      },
      {
        file: "users/people.csv",
        line: "4",
        column: "Date of Birth",
        value: "1990-13-45",
        reason: "value dropped: is not a calendar date; the contact is planned without it",
      },
    ]);
    expect(result.quarantineRows).toBe(11);
  });

  it("keeps case-distinct and non-ASCII extIds apart", () => {
    const upper = contact("Ayse.K");
    const lower = contact("ayse.k");
    expect(upper.xml_id).not.toBe(lower.xml_id);
    expect(upper.values.netmera_external_id).toBe("Ayse.K");
    expect(lower.values.netmera_external_id).toBe("ayse.k");
    expect(upper.values.name).toBe("Ayşe Kaya");
    expect(lower.values.name).toBe("Ayşe Kılıç");
    expect(contact("dept/42").values.netmera_external_id).toBe("dept/42");
    expect(contact("müşteri.çağrı").values.name).toBe("Çağrı Güneş");
  });

  it("normalises and relates contact values", () => {
    expect(contact("Ayse.K").values).toEqual({
      name: "Ayşe Kaya",
      email: "ayse.kaya@example.com.tr",
      mobile: "+905312345678",
      x_netmera_date_of_birth: "2020-05-01",
      x_netmera_gender: "female",
      // Fields only the migration writes are named even without a value, so a later plan
      // clears what Netmera no longer has.
      x_netmera_kaynak_kampanya: null,
      x_netmera_loyalty_points: null,
      city: "Ankara",
      country_id: { code: "TR" },
      lang: "tr_TR",
      x_netmera_lifetime_value: 1234.5,
      x_netmera_visited_stores: "Konak #6;Beşiktaş #8",
      user_id: { owner_email: "selin.kaya@example.com.tr" },
      parent_id: { xml_id: xmlIdFor("company", "C-100") },
      netmera_device_model: "SM-G991B",
      netmera_os: "ANDROID",
      netmera_app_version: "5.4.0",
      netmera_segment_stage_id: { xml_id: xmlIdFor("stage", "1001") },
      netmera_external_id: "Ayse.K",
      netmera_needs_enrichment: false,
      netmera_untagged: false,
      category_id: {
        xml_ids: [
          xmlIdFor("tag", "favoriteCategories=elektronik"),
          xmlIdFor("tag", "favoriteCategories=giyim"),
          xmlIdFor("segment", "1001"),
        ],
      },
    });
  });

  it("links a company by name and an owner case-insensitively", () => {
    const values = contact("dept/42").values;
    expect(values.parent_id).toEqual({ xml_id: xmlIdFor("company", "C-100") });
    expect(values.user_id).toEqual({ owner_email: "selin.kaya@example.com.tr" });
    expect(values.lang).toBe("en_US");
    expect(values.email).toBeUndefined();
  });

  it("links a membership row that has only an e-mail", () => {
    expect(contact("ayse.k").values.category_id).toEqual({
      xml_ids: [xmlIdFor("tag", "favoriteCategories=giyim"), xmlIdFor("segment", "1002")],
    });
  });

  it("flags anonymous, untagged, duplicates, unknown owner and merge conflicts", () => {
    const flags = csv("flags.csv").map((flag) => `${flag.extid}|${flag.flag}|${flag.detail}`);
    expect(flags.sort()).toEqual(
      [
        "|anonymous|no extId; the contact needs enrichment",
        "|anonymous|no extId; the contact needs enrichment and has a placeholder name",
        "|duplicate_email|2 contacts share the e-mail shared@example.com",
        "|untagged|the user belongs to no tag or segment",
        "|untagged|the user belongs to no tag or segment",
        'ayse.k|conflicting_merge|column "City": kept "İstanbul" (users/people.csv line 3), other value "Bursa" (users/segment-vip.csv line 2)',
        'ayse.k|unknown_company|company "C-999" is not in companies.csv (users/people.csv line 3)',
        'ayse.k|unknown_owner|owner "nobody@example.com" is not in owners.csv (users/people.csv line 3)',
        "dup.mail|duplicate_email|2 contacts share the e-mail shared@example.com",
        "dup.mail|untagged|the user belongs to no tag or segment",
        "Ayse.K|extid_case_variant|extId differs only in case from ayse.k; extIds are " +
          "case-sensitive, so each is its own contact: merge them in Odoo if they are one person",
        "ayse.k|extid_case_variant|extId differs only in case from Ayse.K; extIds are " +
          "case-sensitive, so each is its own contact: merge them in Odoo if they are one person",
      ].sort(),
    );
  });

  it("gives anonymous installations a placeholder and the enrichment flag", () => {
    const anonymous = ndjson("contacts").filter(
      (row) => row.values.netmera_needs_enrichment === true,
    );
    expect(anonymous).toHaveLength(2);
    const installation = anonymous.find((row) => row.source?.file === "devices.csv");
    expect(installation?.values.name).toMatch(/^Anonymous Netmera user [0-9a-f]{12}$/);
    expect(installation?.values.netmera_untagged).toBe(true);
  });

  it("never writes a push token to any output file", () => {
    const files = allFiles(out);
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const path of files) {
      const text = readFileSync(path, "utf8");
      for (const token of TOKENS) {
        expect(text.includes(token), `${token} in ${path}`).toBe(false);
      }
    }
  });

  it("writes schema rows for created fields and used languages", () => {
    const rows = ndjson("schema").map((row) => row.values);
    expect(rows.filter((values) => values.kind === "lang").map((values) => values.code)).toEqual([
      "de_DE",
      "en_US",
      "tr_TR",
    ]);
    expect(rows.find((values) => values.name === "x_netmera_gender")).toEqual({
      kind: "field",
      name: "x_netmera_gender",
      ttype: "selection",
      field_description: "Gender",
      selection: [
        ["male", "Male"],
        ["female", "Female"],
        ["not_specified", "Not specified"],
      ],
    });
  });

  it("writes tags, stages with rule text, owners and companies", () => {
    expect(ndjson("tags").map((row) => row.values.name)).toEqual([
      "VIP Müşteriler",
      "İstanbul",
      "vip",
      "elektronik",
      "giyim",
    ]);
    expect(ndjson("stages")[0]?.values).toEqual({
      name: "VIP Müşteriler",
      sequence: 10,
      segment_key: "1001",
      rule_text: "membershipTier IN ('gold')",
    });
    expect(ndjson("owners").map((row) => row.values)).toEqual([
      { email: "selin.kaya@example.com.tr", name: "Selin Kaya" },
    ]);
    expect(ndjson("companies")[0]?.values).toEqual({
      name: "Anadolu Tekstil A.Ş.",
      is_company: true,
      website: "https://anadolutekstil.example.com.tr",
      phone: "+902245550100",
      country_id: { code: "TR" },
      city: "Bursa",
      vat: "1234567890",
    });
  });

  it("hashes every row's values and records the plan manifest", () => {
    for (const row of ndjson("contacts")) {
      expect(row.hash).toBe(rowHash(row.values));
    }
    const manifest = JSON.parse(readFileSync(join(out, "plan", "manifest.json"), "utf8"));
    expect(manifest.snapshotHash).toBe(result.snapshotHash);
    expect(manifest.mappingHash).toBe(result.mappingHash);
    expect(manifest.sourceTimeZone).toBe("Europe/Istanbul");
    expect(manifest.phases.map((phase: { name: string }) => phase.name)).toEqual([
      "schema",
      "tags",
      "stages",
      "owners",
      "companies",
      "contacts",
      "campaigns",
      "history",
    ]);
    expect(manifest.phases.find((phase: { name: string }) => phase.name === "contacts")).toEqual({
      name: "contacts",
      file: "contacts.ndjson",
      rows: 8,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(result.unconfirmedReason).toBe("the mapping has not been confirmed");
  });
});

describe("plan phase registry", () => {
  it("orders production by after and rejects cycles", () => {
    const phase = (name: string, after: string[] = []): PhaseProducer => ({
      name,
      after,
      produce: async () => ({
        name,
        read: 0,
        planned: 0,
        quarantined: 0,
        skipped: 0,
        skippedReasons: {},
      }),
    });
    const order = productionOrder([
      phase("schema", ["contacts"]),
      phase("contacts", ["owners"]),
      phase("owners"),
    ]);
    expect(order.map((producer) => producer.name)).toEqual(["owners", "contacts", "schema"]);
    expect(importOrder(["history", "extra", "schema", "contacts"])).toEqual([
      "schema",
      "contacts",
      "history",
      "extra",
    ]);
    expect(() => productionOrder([phase("a", ["b"]), phase("b", ["a"])])).toThrow(
      "plan phases depend on each other in a cycle through a",
    );
  });

  it("gives later producers the planned contact extIds", async () => {
    const seen: string[] = [];
    const probe: PhaseProducer = {
      name: "probe",
      after: ["contacts"],
      async produce(context) {
        for await (const extId of plannedContactExtIds(context.state)) {
          seen.push(extId);
        }
        return {
          name: "probe",
          read: 0,
          planned: 0,
          quarantined: 0,
          skipped: 0,
          skippedReasons: {},
        };
      },
    };
    const probeOut = mkdtempSync(join(tmpdir(), "reader-probe-"));
    try {
      const probed = await runPlan({
        snapshotDir: FIXTURE,
        mappingFile: MAPPING,
        outDir: probeOut,
        logger: silentLogger,
        producers: [...DEFAULT_PRODUCERS, probe],
      });
      expect(seen).toEqual([
        "Ayse.K",
        "ayse.k",
        "dept/42",
        "dup.mail",
        "müşteri.çağrı",
        "only.in.tag",
      ]);
      expect(probed.phases.map((phase) => phase.name).at(-1)).toBe("probe");
    } finally {
      rmSync(probeOut, { recursive: true, force: true });
    }
  });
});

describe("plan failures", () => {
  it("leaves the previous plan in place and no work folder behind", async () => {
    const snapshot = mkdtempSync(join(tmpdir(), "reader-bad-"));
    try {
      cpSync(FIXTURE, snapshot, { recursive: true });
      writeFileSync(join(snapshot, "users", "broken.csv"), "a,b;c\n");
      const before = readFileSync(join(out, "plan", "contacts.ndjson"), "utf8");
      await expect(
        runPlan({ snapshotDir: snapshot, mappingFile: MAPPING, outDir: out, logger: silentLogger }),
      ).rejects.toThrow(/users\/broken\.csv: cannot tell the delimiter/);
      expect(readFileSync(join(out, "plan", "contacts.ndjson"), "utf8")).toBe(before);
      expect(readdirSync(out).filter((name) => name.startsWith("."))).toEqual([]);
    } finally {
      rmSync(snapshot, { recursive: true, force: true });
    }
  });
});
