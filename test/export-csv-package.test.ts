import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSnapshot } from "../scripts/lib/generator/generate.js";
import { runCli, type CliResult } from "./support/cli.js";

let work: string;
let snapshot: string;
let mapping: string;
let plan: string;

function run(...args: string[]): Promise<CliResult> {
  return runCli(args);
}

/** Run export-csv on the test snapshot; the mapping is the confirmed one unless given. */
function exportCsv(
  planDir: string,
  out: string,
  options: { mapping?: string; ownerLogins?: string } = {},
): Promise<CliResult> {
  const args = ["export-csv", snapshot, "--plan", planDir, "--mapping", options.mapping ?? mapping];
  args.push("--out", out);
  if (options.ownerLogins) args.push("--owner-logins", options.ownerLogins);
  return runCli(args);
}

function rows(dir: string, file: string): Record<string, string>[] {
  return parse(readFileSync(join(dir, file), "utf8"), { columns: true }) as Record<
    string,
    string
  >[];
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "mapping-export-"));
  snapshot = join(work, "snapshot");
  mapping = join(work, "mapping.json");
  plan = join(work, "plan");
  generateSnapshot({ users: 40, eventsPerUser: 2, seed: "export", out: snapshot });
  expect((await run("map", snapshot, "--out", work)).code).toBe(0);
  expect(
    (await run("plan", snapshot, "--mapping", mapping, "--out", plan, "--no-progress")).code,
  ).toBe(0);
}, 120_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe("export-csv refusals", () => {
  it("rejects an unconfirmed mapping", async () => {
    const result = await exportCsv(plan, join(work, "pkg0"));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("the mapping has not been confirmed");
    expect(result.stderr).toContain(
      `netmera-odoo map ${snapshot} --confirm --by NAME --mapping ${mapping}`,
    );
    expect(readdirSync(work)).not.toContain("pkg0");
  });

  it("rejects a plan built before the mapping was edited", async () => {
    const edited = JSON.parse(readFileSync(mapping, "utf8")) as {
      settings: { eventConsolidationThreshold: number };
    };
    edited.settings.eventConsolidationThreshold = 5;
    const editedPath = join(work, "edited.json");
    writeFileSync(editedPath, JSON.stringify(edited));
    expect(
      (await run("map", snapshot, "--confirm", "--by", "Test", "--mapping", editedPath)).code,
    ).toBe(0);
    const result = await exportCsv(plan, join(work, "pkg1"), { mapping: editedPath });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("was built from another mapping or snapshot");
  });

  it("rejects a non-empty output folder", async () => {
    expect(
      (await run("map", snapshot, "--confirm", "--by", "Test", "--mapping", mapping)).code,
    ).toBe(0);
    const busy = join(work, "busy");
    mkdirSync(busy);
    writeFileSync(join(busy, "keep.txt"), "x");
    const result = await exportCsv(plan, busy);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("is not empty");
  });

  it("rejects a plan file edited after plan wrote it", async () => {
    const tampered = join(work, "plan-tampered");
    cpSync(plan, tampered, { recursive: true });
    const contacts = join(tampered, "plan", "contacts.ndjson");
    const text = readFileSync(contacts, "utf8");
    writeFileSync(contacts, text.replace(/"email":"[^"]+"/, '"email":"evil@attacker.example"'));
    const out = join(work, "pkg-tampered");
    const result = await exportCsv(tampered, out);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `the plan in ${tampered} changed after plan wrote it, so no import package was written`,
    );
    expect(result.stderr).toContain("plan/contacts.ndjson: sha256");
    expect(existsSync(out)).toBe(false);
  });

  it("rejects a plan with a phase file missing", async () => {
    const cut = join(work, "plan-missing-file");
    cpSync(plan, cut, { recursive: true });
    rmSync(join(cut, "plan", "history.ndjson"));
    const result = await exportCsv(cut, join(work, "pkg-missing-file"));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `${join(cut, "plan", "history.ndjson")} not found, but plan/manifest.json lists it`,
    );
  });
});

describe("export-csv package", () => {
  let pkg: string;

  beforeAll(async () => {
    // The plan must come from the confirmed mapping, whose hash is what the plan records.
    rmSync(plan, { recursive: true, force: true });
    expect(
      (await run("plan", snapshot, "--mapping", mapping, "--out", plan, "--no-progress")).code,
    ).toBe(0);
    pkg = join(work, "pkg");
    const result = await exportCsv(plan, pkg);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  }, 120_000);

  it("writes one file per model in import order and the guide", () => {
    expect(readdirSync(pkg).sort()).toEqual([
      "01_res.partner.category.csv",
      "02_res.partner-companies.csv",
      "03_res.partner.csv",
      "04_res.partner-addresses.csv",
      "05_utm.campaign.csv",
      "06_res.partner-salesperson.csv",
      "IMPORT-GUIDE.md",
      "owners.csv",
    ]);
    expect(readdirSync(work).filter((name) => name.includes("partial"))).toEqual([]);
  });

  it("writes as many contacts as the plan has", () => {
    const manifest = JSON.parse(readFileSync(join(plan, "plan", "manifest.json"), "utf8")) as {
      phases: { name: string; rows: number }[];
    };
    const planned = manifest.phases.find((p) => p.name === "contacts")?.rows;
    expect(rows(pkg, "03_res.partner.csv")).toHaveLength(planned ?? -1);
  });

  it("uses external ID columns for relations", () => {
    const contacts = rows(pkg, "03_res.partner.csv");
    const header = Object.keys(contacts[0] ?? {});
    expect(header[0]).toBe("id");
    expect(header).toContain("category_id/id");
    expect(header).toContain("country_id/id");
    expect(header).toContain("parent_id/id");
    const turkish = contacts.find((c) => c["x_netmera_external_id"] === "müşteri.çağrı.42");
    expect(turkish?.name).toBe("Çağrı Güneş");
    expect(turkish?.["country_id/id"]).toMatch(/^base\.[a-z]{2}$/);
    expect(contacts.every((c) => c.id?.startsWith("__import__.netmera_"))).toBe(true);
    const withCompany = contacts.filter((c) => c["parent_id/id"]);
    const companies = new Set(rows(pkg, "02_res.partner-companies.csv").map((c) => c.id));
    expect(withCompany.length).toBeGreaterThan(0);
    expect(withCompany.every((c) => companies.has(c["parent_id/id"]))).toBe(true);
  });

  it("neutralises formula cells and keeps E.164 phones", () => {
    const contacts = rows(pkg, "03_res.partner.csv");
    const hyperlink = contacts.find((c) => c["x_netmera_external_id"] === "C1000009");
    expect(hyperlink?.name?.startsWith(`'=HYPERLINK(`)).toBe(true);
    const at = contacts.find((c) => c["x_netmera_external_id"] === "C1000011");
    expect(at?.name?.startsWith("'@SUM(A1:A9)")).toBe(true);
    const mobiles = contacts.map((c) => c.mobile).filter(Boolean);
    expect(mobiles.length).toBeGreaterThan(10);
    expect(mobiles.every((m) => /^\+\d{8,15}$/.test(m ?? ""))).toBe(true);
    for (const contact of contacts) {
      for (const [column, value] of Object.entries(contact)) {
        if (column !== "mobile" && column !== "phone" && !column.startsWith("x_netmera_l")) {
          expect(value, `${column} of ${contact.id}`).not.toMatch(/^[=+\-@\t\r]/);
        }
      }
    }
  });

  it("contains no push token", () => {
    const devices = parse(readFileSync(join(snapshot, "devices.csv"), "utf8"), {
      columns: true,
    }) as {
      token: string;
    }[];
    const text = readdirSync(pkg)
      .map((file) => readFileSync(join(pkg, file), "utf8"))
      .join("\n");
    for (const { token } of devices) {
      expect(text.includes(token.slice(0, 32))).toBe(false);
    }
  });

  it("lists the custom fields to create in the guide", () => {
    const guide = readFileSync(join(pkg, "IMPORT-GUIDE.md"), "utf8");
    const header = Object.keys(rows(pkg, "03_res.partner.csv")[0] ?? {});
    for (const column of header.filter((c) => c.startsWith("x_"))) {
      expect(guide).toContain(`| \`${column}\` |`);
    }
    expect(guide).toContain("male (Male), female (Female)");
    expect(guide.indexOf("01_res.partner.category.csv")).toBeLessThan(
      guide.indexOf("03_res.partner.csv"),
    );
  });

  it("writes each child contact's own address after the contacts", () => {
    const planRows = readFileSync(join(plan, "plan", "contacts.ndjson"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { xml_id: string; values: Record<string, unknown> });
    const children = planRows.filter((r) => r.values.parent_id && r.values.city);
    expect(children.length).toBeGreaterThan(0);
    const addresses = rows(pkg, "04_res.partner-addresses.csv");
    expect(Object.keys(addresses[0] ?? {})).toEqual([
      "id",
      "street",
      "street2",
      "zip",
      "city",
      "state_id/id",
      "country_id/id",
    ]);
    const byId = new Map(addresses.map((r) => [r.id, r]));
    for (const child of children) {
      const row = byId.get(`__import__.${child.xml_id}`);
      expect(row?.city, child.xml_id).toBe(child.values.city);
      expect(row?.street, child.xml_id).toBe("");
    }
    const withoutParent = planRows.filter((r) => !r.values.parent_id);
    for (const contact of withoutParent) {
      expect(byId.has(`__import__.${contact.xml_id}`)).toBe(false);
    }
  });

  it("lists owners and links salespeople in a separate file", () => {
    const contacts = rows(pkg, "03_res.partner.csv");
    expect(Object.keys(contacts[0] ?? {})).not.toContain("user_id");
    const links = rows(pkg, "06_res.partner-salesperson.csv");
    const owners = rows(pkg, "owners.csv");
    expect(links.length).toBeGreaterThan(0);
    expect(Object.keys(owners[0] ?? {})).toEqual(["owner_email", "name", "contacts", "odoo_login"]);
    const counted = owners.reduce((sum, owner) => sum + Number(owner.contacts), 0);
    expect(counted).toBe(links.length);
    const emails = new Set(owners.map((owner) => owner.owner_email));
    expect(links.every((link) => emails.has(link.user_id ?? ""))).toBe(true);
    expect(owners.every((owner) => owner.odoo_login === "")).toBe(true);
    const guide = readFileSync(join(pkg, "IMPORT-GUIDE.md"), "utf8");
    for (const owner of owners) {
      expect(guide).toContain(`\`${owner.owner_email}\``);
    }
    expect(guide).toContain("Skip record");
  });

  it("names given Odoo logins with --owner-logins", async () => {
    const owners = rows(pkg, "owners.csv");
    const [first, second] = owners;
    if (!first?.owner_email || !second?.owner_email)
      throw new Error("the package needs two owners");
    const loginsFile = join(work, "owner-logins.csv");
    writeFileSync(
      loginsFile,
      `owner_email,odoo_login\n${first.owner_email.toUpperCase()}, sales.one \n${second.owner_email},\n`,
    );

    const out = join(work, "pkg-logins");
    const result = await exportCsv(plan, out, { ownerLogins: loginsFile });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);

    const before = rows(pkg, "06_res.partner-salesperson.csv");
    const after = rows(out, "06_res.partner-salesperson.csv");
    expect(after.map((r) => r.id)).toEqual(before.map((r) => r.id));
    for (const [i, row] of after.entries()) {
      const email = before[i]?.user_id;
      expect(row.user_id).toBe(email === first.owner_email ? "sales.one" : email);
    }

    const listed = rows(out, "owners.csv");
    expect(listed.find((o) => o.owner_email === first.owner_email)?.odoo_login).toBe("sales.one");
    expect(listed.find((o) => o.owner_email === second.owner_email)?.odoo_login).toBe("");
  });

  it("reads an owner list saved with semicolons", async () => {
    const [first] = rows(pkg, "owners.csv");
    if (!first?.owner_email) throw new Error("the package needs an owner");
    const loginsFile = join(work, "owner-logins-semicolon.csv");
    writeFileSync(
      loginsFile,
      `\ufeffowner_email;odoo_login\r\n${first.owner_email};sales.semi\r\n`,
    );

    const out = join(work, "pkg-semicolon");
    const result = await exportCsv(plan, out, { ownerLogins: loginsFile });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const listed = rows(out, "owners.csv");
    expect(listed.find((o) => o.owner_email === first.owner_email)?.odoo_login).toBe("sales.semi");
  });

  it("rejects an owner list without the login column", async () => {
    const bad = join(work, "owners-bad.csv");
    writeFileSync(bad, "owner_email,login\na@example.com,a\n");
    const out = join(work, "pkg-bad-owners");
    const result = await exportCsv(plan, out, { ownerLogins: bad });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `${bad} line 1: missing column owner_email or odoo_login (the header of owners.csv has both); found "owner_email,login"`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it("rejects two logins for one owner", async () => {
    const bad = join(work, "owners-twice.csv");
    writeFileSync(bad, "owner_email,odoo_login\na@example.com,a\nA@example.com,b\n");
    const result = await exportCsv(plan, join(work, "pkg-twice"), { ownerLogins: bad });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `${bad} line 3, column "odoo_login": "b" for a@example.com, but line 2 gives "a"`,
    );
  });
});
