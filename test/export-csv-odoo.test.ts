import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { buildPackage } from "../bridge/src/export-csv/build-package.js";
import type { GuideInput } from "../bridge/src/export-csv/guide.js";
import { runExportCsv } from "../bridge/src/export-csv/run-export.js";
import { collectObservations } from "../bridge/src/mapping/collect.js";
import { proposeMapping } from "../bridge/src/mapping/propose.js";
import { confirmMapping, saveMapping } from "../bridge/src/mapping/store.js";
import { OdooClient } from "../bridge/src/odoo/client.js";
import { runPlan } from "../bridge/src/plan/run-plan.js";
import { openSnapshot } from "../bridge/src/snapshot/snapshot.js";
import { describeOdoo, startOdoo, type OdooServer } from "./support/odoo.js";

const SNAPSHOT = "samples/small";
const ADDRESS_FIELDS = ["street", "street2", "zip", "city", "state_id", "country_id"];

interface ImportResult {
  ids: number[] | false;
  messages: { type: string; message: string; record?: unknown }[];
}

type Row = Record<string, string>;
type Address = Record<string, string | number | false>;

/**
 * Edge cases the sample lacks. A company with a full address has three children: one with
 * only a city, one without an address and one with a full address of its own. A company
 * without an address has one child, which has an address.
 */
const EDGE_COMPANIES = [
  {
    xml_id: "exportcsv_edge_full_co",
    values: {
      is_company: true,
      name: "Edge Full Co",
      street: "Atatürk Cd. 1",
      zip: "35000",
      city: "İzmir",
      country_id: { code: "TR" },
    },
  },
  { xml_id: "exportcsv_edge_bare_co", values: { is_company: true, name: "Edge Bare Co" } },
];
const EDGE_CONTACTS = [
  {
    xml_id: "exportcsv_edge_city_only",
    values: {
      name: "Edge City Only",
      city: "Bodrum",
      parent_id: { xml_id: EDGE_COMPANIES[0]!.xml_id },
    },
  },
  {
    xml_id: "exportcsv_edge_no_address",
    values: { name: "Edge No Address", parent_id: { xml_id: EDGE_COMPANIES[0]!.xml_id } },
  },
  {
    xml_id: "exportcsv_edge_own_address",
    values: {
      name: "Edge Own Address",
      street: "Cumhuriyet Blv. 5",
      street2: "Kat 3",
      zip: "10115",
      city: "Berlin",
      country_id: { code: "DE" },
      parent_id: { xml_id: EDGE_COMPANIES[0]!.xml_id },
    },
  },
  {
    xml_id: "exportcsv_edge_first_contact",
    values: {
      name: "Edge First Contact",
      street: "Bağdat Cd. 7",
      city: "İstanbul",
      country_id: { code: "TR" },
      parent_id: { xml_id: EDGE_COMPANIES[1]!.xml_id },
    },
  },
];

function writeEdgePlan(dir: string): void {
  mkdirSync(join(dir, "plan"), { recursive: true });
  const lines = (rows: unknown[]) => rows.map((row) => JSON.stringify(row)).join("\n") + "\n";
  writeFileSync(join(dir, "plan", "companies.ndjson"), lines(EDGE_COMPANIES));
  writeFileSync(join(dir, "plan", "contacts.ndjson"), lines(EDGE_CONTACTS));
}

describeOdoo("export-csv package through Odoo's importer", () => {
  let work: string;
  let pkg: string;
  let guide: GuideInput;
  let server: OdooServer | undefined;
  let odoo: OdooClient;
  const imported = new Map<string, ImportResult>();
  /** City of each contact linked to a company right after 03_res.partner.csv, by external ID. */
  const cityAfterContacts = new Map<string, string | false>();

  const csvRows = (file: string, dir = pkg): Row[] =>
    parse(readFileSync(join(dir, file), "utf8"), { columns: true }) as Row[];

  const call = <T>(model: string, method: string, args: unknown[], kwargs = {}) =>
    odoo.executeKw<T>(model, method, args, kwargs);

  async function importFile(
    file: string,
    model: string,
    dir = pkg,
    extra: Record<string, unknown> = {},
  ): Promise<ImportResult> {
    const bytes = readFileSync(join(dir, file));
    const header = parse(bytes.toString("utf8"), { to_line: 1 })[0] as string[];
    // base_import.import.file contains raw bytes; over XML-RPC Odoo encodes a string as UTF-8
    // before storing it, which gives exactly the file's bytes.
    const wizard = await call<number>("base_import.import", "create", [
      { res_model: model, file: bytes.toString("utf8"), file_name: file, file_type: "text/csv" },
    ]);
    const options = {
      has_headers: true,
      separator: ",",
      quoting: '"',
      encoding: "utf-8",
      date_format: "%Y-%m-%d",
      datetime_format: "%Y-%m-%d %H:%M:%S",
      float_thousand_separator: ",",
      float_decimal_separator: ".",
      import_skip_records: [],
      import_set_empty_fields: [],
      name_create_enabled_fields: {},
      fallback_values: {},
      skip: 0,
      limit: 100_000,
      ...extra,
    };
    return call<ImportResult>("base_import.import", "execute_import", [
      [wizard],
      header,
      header,
      options,
    ]);
  }

  async function idOf(xmlId: string, model = "res.partner"): Promise<number> {
    const [module, name] = xmlId.split(".");
    const data = await call<{ res_id: number }[]>(
      "ir.model.data",
      "search_read",
      [
        [
          ["module", "=", module],
          ["name", "=", name],
          ["model", "=", model],
        ],
      ],
      { fields: ["res_id"] },
    );
    const resId = data[0]?.res_id;
    if (!resId) throw new Error(`${xmlId} was not imported`);
    return resId;
  }

  async function readByExternalId(xmlId: string, model: string, fields: string[]): Promise<Row> {
    const [record] = await call<Row[]>(model, "read", [[await idOf(xmlId, model)], fields]);
    return record as Row;
  }

  /** Address fields of a partner, with many2one fields as the external ID the package uses. */
  async function addressOf(xmlId: string): Promise<Address> {
    const record = (await readByExternalId(
      xmlId,
      "res.partner",
      ADDRESS_FIELDS,
    )) as unknown as Record<string, string | false | [number, string]>;
    const address: Address = {};
    for (const field of ADDRESS_FIELDS) {
      const value = record[field];
      if (Array.isArray(value) && field === "country_id") {
        // The package names countries by their external ID in Odoo's base module.
        const [data] = await call<Row[]>(
          "ir.model.data",
          "search_read",
          [
            [
              ["module", "=", "base"],
              ["model", "=", "res.country"],
              ["res_id", "=", value[0]],
            ],
          ],
          { fields: ["name"] },
        );
        address[field] = `base.${data?.name}`;
      } else {
        address[field] = Array.isArray(value) ? value[0] : (value ?? false);
      }
    }
    return address;
  }

  /** Convert an address-file row into the address it sets, in the form of `addressOf`. */
  function addressInFile(row: Row): Address {
    const address: Address = {};
    for (const field of ADDRESS_FIELDS) {
      const text = row[field] ?? row[`${field}/id`] ?? "";
      address[field] = text === "" ? false : text;
    }
    return address;
  }

  /** Database IDs of `__import__` partners by external ID, in one call. */
  async function partnerIds(xmlIds: string[]): Promise<Map<string, number>> {
    const data = await call<{ name: string; res_id: number }[]>(
      "ir.model.data",
      "search_read",
      [
        [
          ["module", "=", "__import__"],
          ["model", "=", "res.partner"],
          ["name", "in", xmlIds.map((id) => id.replace(/^__import__\./, ""))],
        ],
      ],
      { fields: ["name", "res_id"] },
    );
    return new Map(data.map((d) => [`__import__.${d.name}`, d.res_id]));
  }

  /** Login of each contact's salesperson (false without one), by external ID. */
  async function salespersonLogins(xmlIds: string[]): Promise<Map<string, string | false>> {
    const ids = await partnerIds(xmlIds);
    const partners = await call<{ id: number; user_id: [number, string] | false }[]>(
      "res.partner",
      "read",
      [[...ids.values()], ["user_id"]],
    );
    const userIds = [...new Set(partners.flatMap((p) => (p.user_id ? [p.user_id[0]] : [])))];
    const users = await call<{ id: number; login: string }[]>("res.users", "read", [
      userIds,
      ["login"],
    ]);
    const loginOfUser = new Map(users.map((u) => [u.id, u.login]));
    const byPartner = new Map<number, string | false>(
      partners.map((p) => [p.id, p.user_id ? (loginOfUser.get(p.user_id[0]) ?? false) : false]),
    );
    return new Map(xmlIds.map((xmlId) => [xmlId, byPartner.get(ids.get(xmlId) ?? 0) ?? false]));
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "exportcsv-odoo-"));
    const mappingFile = join(work, "mapping.json");
    const snapshot = await openSnapshot(SNAPSHOT, { logger: silentLogger });
    const proposed = proposeMapping(await collectObservations(snapshot, silentLogger), {
      snapshotHash: snapshot.hash,
      proposedAt: new Date().toISOString(),
    });
    await saveMapping(mappingFile, confirmMapping(proposed, "Test", snapshot.hash));
    await runPlan({
      snapshotDir: SNAPSHOT,
      mappingFile,
      outDir: join(work, "plan"),
      logger: silentLogger,
    });
    pkg = join(work, "package");
    guide = await runExportCsv({
      snapshotDir: SNAPSHOT,
      planDir: join(work, "plan"),
      mappingFile,
      outDir: pkg,
      logger: silentLogger,
    });

    server = await startOdoo({ prefix: "exportcsv" });
    odoo = new OdooClient({ ...server, logger: silentLogger });

    // Step 1 of the guide: the custom fields, as manual fields on res.partner.
    const [partnerModel] = await call<number[]>("ir.model", "search", [
      [["model", "=", "res.partner"]],
    ]);
    for (const field of guide.customFields) {
      await call("ir.model.fields", "create", [
        {
          model_id: partnerModel,
          name: field.name,
          ttype: field.ttype,
          field_description: field.description,
          state: "manual",
          ...(field.selection
            ? {
                selection_ids: field.selection.map(([value, name], sequence) => [
                  0,
                  0,
                  { value, name, sequence },
                ]),
              }
            : {}),
        },
      ]);
    }
    const langs = await call<number[]>("res.lang", "search", [[["code", "in", guide.languages]]], {
      context: { active_test: false },
    });
    await call("res.lang", "write", [langs, { active: true }]);

    // Salespeople as a real Odoo has them: two owners have a user whose login is the e-mail,
    // Selin Kaya's login is "selin", and admin@example.com is the e-mail of the user "admin".
    for (const email of ["burak.ozturk@example.com.tr", "deniz.aydin@example.com.tr"]) {
      await call("res.users", "create", [{ name: email, login: email, email }]);
    }
    await call("res.users", "create", [
      { name: "Selin Kaya", login: "selin", email: "selin.kaya@example.com.tr" },
    ]);

    // Step 2: every file of the import order; the salesperson file is a later, optional step.
    for (const file of guide.files.filter((f) => !f.optional)) {
      imported.set(file.file, await importFile(file.file, file.model));
      if (file.file === "03_res.partner.csv") {
        for (const row of csvRows(file.file).filter((r) => r["parent_id/id"])) {
          const id = row.id ?? "";
          cityAfterContacts.set(id, (await addressOf(id)).city as string | false);
        }
      }
    }
  }, 900_000);

  afterAll(async () => {
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("imports every file of the order without errors", () => {
    const steps = guide.files.filter((f) => !f.optional).map((f) => f.file);
    expect(steps).toEqual([
      "01_res.partner.category.csv",
      "02_res.partner-companies.csv",
      "03_res.partner.csv",
      "04_res.partner-addresses.csv",
      "05_utm.campaign.csv",
    ]);
    for (const file of steps) {
      const result = imported.get(file);
      expect(result?.messages ?? [], file).toEqual([]);
      const rows = guide.files.find((f) => f.file === file)?.rows;
      expect(result?.ids ? result.ids.length : 0, file).toBe(rows);
    }
  });

  it("creates one record per row with the package's external IDs", async () => {
    const count = (model: string) =>
      call<number>("ir.model.data", "search_count", [
        [
          ["module", "=", "__import__"],
          ["model", "=", model],
        ],
      ]);
    expect(await count("res.partner.category")).toBe(csvRows("01_res.partner.category.csv").length);
    expect(await count("res.partner")).toBe(
      csvRows("02_res.partner-companies.csv").length + csvRows("03_res.partner.csv").length,
    );
    expect(await count("utm.campaign")).toBe(csvRows("05_utm.campaign.csv").length);
  });

  it("keeps Turkish letters, tags and the country", async () => {
    const row = csvRows("03_res.partner.csv").find(
      (r) => r["x_netmera_external_id"] === "müşteri.çağrı.42",
    );
    if (!row?.id) throw new Error("contact müşteri.çağrı.42 missing from the package");
    const contact = await readByExternalId(row.id, "res.partner", [
      "name",
      "email",
      "category_id",
      "country_id",
      "x_netmera_external_id",
    ]);
    expect(contact.name).toBe("Çağrı Güneş");
    expect(contact.email).toBe("cagri.gunes@example.com.tr");
    expect(contact.x_netmera_external_id).toBe("müşteri.çağrı.42");
    const tagIds = row["category_id/id"]?.split(",").filter(Boolean) ?? [];
    expect((contact.category_id as unknown as number[]).length).toBe(tagIds.length);
    const tagNames = csvRows("01_res.partner.category.csv")
      .filter((tag) => tagIds.includes(tag.id ?? ""))
      .map((tag) => tag.name)
      .sort();
    const tags = await call<Row[]>("res.partner.category", "read", [contact.category_id, ["name"]]);
    expect(tags.map((tag) => tag.name).sort()).toEqual(tagNames);
    const [code] = await call<Row[]>("res.country", "read", [
      [(contact.country_id as unknown as [number])[0]],
      ["code"],
    ]);
    expect(`base.${code?.code?.toLowerCase()}`).toBe(row["country_id/id"]);
  });

  it("links contacts to their parent company", async () => {
    const row = csvRows("03_res.partner.csv").find((r) => r["parent_id/id"]);
    if (!row?.id) throw new Error("no contact with a company in the package");
    const company = csvRows("02_res.partner-companies.csv").find(
      (c) => c.id === row["parent_id/id"],
    );
    const contact = await readByExternalId(row.id, "res.partner", ["parent_id"]);
    const [parent] = await call<Row[]>("res.partner", "read", [
      [(contact.parent_id as unknown as [number])[0]],
      ["name", "is_company"],
    ]);
    expect(parent?.name).toBe(company?.name);
    expect(parent?.is_company).toBe(true);
  });

  it("sees Odoo copy the company's city over the contacts file", () => {
    const companies = new Map(csvRows("02_res.partner-companies.csv").map((c) => [c.id, c.city]));
    const moved = csvRows("03_res.partner.csv").filter(
      (r) => r["parent_id/id"] && r.city && r.city !== companies.get(r["parent_id/id"]),
    );
    expect(moved.length).toBeGreaterThan(5);
    for (const row of moved) {
      expect(cityAfterContacts.get(row.id ?? ""), row.id).toBe(companies.get(row["parent_id/id"]));
    }
  });

  it("gives each child contact its own address", async () => {
    const contacts = new Map(csvRows("03_res.partner.csv").map((r) => [r.id, r]));
    const addresses = csvRows("04_res.partner-addresses.csv");
    const children = [...contacts.values()].filter((r) => r["parent_id/id"]);
    expect(addresses.length).toBe(children.length);
    for (const row of addresses) {
      const contact = contacts.get(row.id);
      expect(contact?.["parent_id/id"], row.id).toBeTruthy();
      expect(row.city, row.id).toBe(contact?.city);
      expect(await addressOf(row.id ?? ""), row.id).toEqual(addressInFile(row));
    }
  });

  it("keeps the sample's companies' addresses", async () => {
    for (const company of csvRows("02_res.partner-companies.csv")) {
      const address = await addressOf(company.id ?? "");
      expect(address.city, company.id).toBe(company.city || false);
      expect(address.country_id, company.id).toBe(company["country_id/id"] || false);
    }
  });

  it("writes custom field values of every type", async () => {
    const row = csvRows("03_res.partner.csv").find(
      (r) =>
        r["x_netmera_loyalty_points"] &&
        r["x_netmera_date_of_birth"] &&
        r["x_netmera_gender"] &&
        r["x_netmera_lifetime_value"],
    );
    if (!row?.id) throw new Error("no contact with all custom values");
    const contact = await readByExternalId(row.id, "res.partner", [
      "x_netmera_loyalty_points",
      "x_netmera_lifetime_value",
      "x_netmera_date_of_birth",
      "x_netmera_gender",
      "x_netmera_is_premium",
      "mobile",
    ]);
    expect(contact.x_netmera_loyalty_points).toBe(Number(row["x_netmera_loyalty_points"]));
    expect(contact.x_netmera_lifetime_value).toBe(Number(row["x_netmera_lifetime_value"]));
    expect(contact.x_netmera_date_of_birth).toBe(row["x_netmera_date_of_birth"]);
    expect(contact.x_netmera_gender).toBe(row["x_netmera_gender"]);
    expect(contact.x_netmera_is_premium).toBe(row["x_netmera_is_premium"] === "True");
    if (row.mobile) expect(contact.mobile).toBe(row.mobile);
  });

  it("keeps E.164 mobiles and neutralised names as written", async () => {
    const contacts = csvRows("03_res.partner.csv");
    const phone = contacts.find((r) => r.mobile?.startsWith("+90"));
    const formula = contacts.find((r) => r.name?.startsWith("'=HYPERLINK("));
    if (!phone?.id || !formula?.id) throw new Error("sample rows missing from the package");
    expect((await readByExternalId(phone.id, "res.partner", ["mobile"])).mobile).toBe(phone.mobile);
    expect((await readByExternalId(formula.id, "res.partner", ["name"])).name).toBe(formula.name);
  });

  it("imports contacts without any salesperson", async () => {
    expect(Object.keys(csvRows("03_res.partner.csv")[0] ?? {})).not.toContain("user_id");
    const ids = await partnerIds(csvRows("03_res.partner.csv").map((r) => r.id ?? ""));
    expect(ids.size).toBe(csvRows("03_res.partner.csv").length);
    const linked = await call<number>("res.partner", "search_count", [
      [
        ["user_id", "!=", false],
        ["id", "in", [...ids.values()]],
      ],
    ]);
    expect(linked).toBe(0);
  });

  it("rejects the whole salesperson file for unknown logins", async () => {
    const links = csvRows("06_res.partner-salesperson.csv");
    const result = await importFile("06_res.partner-salesperson.csv", "res.partner");
    expect(result.ids).toBe(false);
    const errors = result.messages.filter((m) => m.type === "error").map((m) => m.message);
    expect(errors.some((m) => m.includes("'admin@example.com'"))).toBe(true);
    expect(errors.some((m) => m.includes("'selin.kaya@example.com.tr'"))).toBe(true);
    expect(links.some((l) => l.user_id === "burak.ozturk@example.com.tr")).toBe(true);
    const logins = await salespersonLogins(links.map((l) => l.id ?? ""));
    expect([...logins.values()].every((login) => login === false)).toBe(true);
  });

  it("imports known owners' rows with Skip record", async () => {
    const links = csvRows("06_res.partner-salesperson.csv");
    const known = new Set(["burak.ozturk@example.com.tr", "deniz.aydin@example.com.tr"]);
    const result = await importFile("06_res.partner-salesperson.csv", "res.partner", pkg, {
      import_skip_records: ["user_id"],
    });
    expect(result.messages).toEqual([]);
    const expected = links.filter((l) => known.has(l.user_id ?? ""));
    expect(expected.length).toBeGreaterThan(0);
    expect(result.ids ? result.ids.length : -1).toBe(expected.length);
    const logins = await salespersonLogins(links.map((l) => l.id ?? ""));
    for (const link of links) {
      const login = logins.get(link.id ?? "");
      expect(login, link.id).toBe(known.has(link.user_id ?? "") ? link.user_id : false);
    }
  });

  it("clears unknown owners' rows with Set value as empty", async () => {
    const links = csvRows("06_res.partner-salesperson.csv");
    const unknown = links.find((l) => l.user_id === "selin.kaya@example.com.tr");
    if (!unknown?.id) throw new Error("no contact of selin.kaya@example.com.tr");
    const [burak] = await call<number[]>("res.users", "search", [
      [["login", "=", "burak.ozturk@example.com.tr"]],
    ]);
    await call("res.partner", "write", [[await idOf(unknown.id)], { user_id: burak }]);
    expect((await salespersonLogins([unknown.id])).get(unknown.id)).toBe(
      "burak.ozturk@example.com.tr",
    );

    const result = await importFile("06_res.partner-salesperson.csv", "res.partner", pkg, {
      import_set_empty_fields: ["user_id"],
    });
    expect(result.messages).toEqual([]);
    expect(result.ids ? result.ids.length : -1).toBe(links.length);
    const known = new Set(["burak.ozturk@example.com.tr", "deniz.aydin@example.com.tr"]);
    const logins = await salespersonLogins(links.map((l) => l.id ?? ""));
    for (const link of links) {
      const login = logins.get(link.id ?? "");
      expect(login, link.id).toBe(known.has(link.user_id ?? "") ? link.user_id : false);
    }
  });

  it("links owners whose login differs with --owner-logins", async () => {
    // The importer also finds a user by exact name, so the admin's name works in odoo_login.
    const [admin] = await call<Row[]>("res.users", "search_read", [[["login", "=", "admin"]]], {
      fields: ["name", "email"],
    });
    expect(admin?.email).toBe("admin@example.com");
    const owners = csvRows("owners.csv");
    expect(owners.map((o) => o.owner_email)).toEqual([...guide.owners.map((o) => o.email)]);
    const edited = owners.map((o) => ({
      email: o.owner_email ?? "",
      name: o.name ?? "",
      contacts: o.contacts ?? "",
      odoo_login:
        o.owner_email === "selin.kaya@example.com.tr"
          ? "selin"
          : o.owner_email === "admin@example.com"
            ? (admin?.name ?? "")
            : "",
    }));
    const loginsFile = join(work, "owners-edited.csv");
    writeFileSync(
      loginsFile,
      ["owner_email,name,contacts,odoo_login"]
        .concat(edited.map((o) => `${o.email},"${o.name}",${o.contacts},"${o.odoo_login}"`))
        .join("\n") + "\n",
    );
    const second = join(work, "package-logins");
    await runExportCsv({
      snapshotDir: SNAPSHOT,
      planDir: join(work, "plan"),
      mappingFile: join(work, "mapping.json"),
      outDir: second,
      logger: silentLogger,
      ownerLoginsFile: loginsFile,
    });
    const links = csvRows("06_res.partner-salesperson.csv", second);
    const result = await importFile("06_res.partner-salesperson.csv", "res.partner", second);
    expect(result.messages).toEqual([]);
    expect(result.ids ? result.ids.length : -1).toBe(links.length);

    const emails = new Map(csvRows("06_res.partner-salesperson.csv").map((l) => [l.id, l.user_id]));
    const loginOf = new Map([
      ["selin.kaya@example.com.tr", "selin"],
      ["admin@example.com", "admin"],
    ]);
    const logins = await salespersonLogins(links.map((l) => l.id ?? ""));
    for (const link of links) {
      const email = emails.get(link.id) ?? "";
      expect(logins.get(link.id ?? ""), link.id).toBe(loginOf.get(email) ?? email);
    }
    expect([...emails.values()].filter((e) => e === "selin.kaya@example.com.tr").length).toBe(
      guide.owners.find((o) => o.email === "selin.kaya@example.com.tr")?.contacts,
    );
  });

  it("updates instead of duplicating on a second import", async () => {
    const before = await call<number>("res.partner", "search_count", [[]]);
    const again = await importFile("03_res.partner.csv", "res.partner");
    expect(again.messages).toEqual([]);
    expect(await call<number>("res.partner", "search_count", [[]])).toBe(before);
  });

  it("restores addresses when the address file follows a second import", async () => {
    const row = csvRows("04_res.partner-addresses.csv").find(
      (r) => cityAfterContacts.get(r.id ?? "") !== r.city,
    );
    if (!row?.id) throw new Error("no child whose company has another city");
    // The second import of the contacts sets parent_id again, so Odoo copies the company's address.
    expect((await addressOf(row.id)).city).toBe(cityAfterContacts.get(row.id));
    const again = await importFile("04_res.partner-addresses.csv", "res.partner");
    expect(again.messages).toEqual([]);
    expect(await addressOf(row.id)).toEqual(addressInFile(row));
  });

  it("ends edge-case addresses as the plan says", async () => {
    const planDir = join(work, "edge-plan");
    writeEdgePlan(planDir);
    const edge = join(work, "edge-package");
    const manifest = {
      snapshotHash: "edge",
      mappingHash: "edge",
      phases: [
        { name: "companies", file: "companies.ndjson", rows: EDGE_COMPANIES.length },
        { name: "contacts", file: "contacts.ndjson", rows: EDGE_CONTACTS.length },
      ],
    };
    const built = await buildPackage({ planDir, manifest, outDir: edge, logger: silentLogger });
    for (const file of built.files) {
      const result = await importFile(file.file, file.model, edge);
      expect(result.messages, file.file).toEqual([]);
    }
    const addresses = csvRows("04_res.partner-addresses.csv", edge);
    // The company without an address comes first, then the three children with an address.
    expect(addresses.map((r) => r.id)).toEqual([
      "__import__.exportcsv_edge_bare_co",
      "__import__.exportcsv_edge_city_only",
      "__import__.exportcsv_edge_own_address",
      "__import__.exportcsv_edge_first_contact",
    ]);

    const none = Object.fromEntries(ADDRESS_FIELDS.map((f) => [f, false]));
    const company = {
      ...none,
      street: "Atatürk Cd. 1",
      zip: "35000",
      city: "İzmir",
      country_id: "base.tr",
    };
    expect(await addressOf("__import__.exportcsv_edge_full_co")).toEqual(company);
    // Only a city: the company's street, zip and country do not stay.
    expect(await addressOf("__import__.exportcsv_edge_city_only")).toEqual({
      ...none,
      city: "Bodrum",
    });
    // No address of its own: the contact takes the company's, as Odoo gives it.
    expect(await addressOf("__import__.exportcsv_edge_no_address")).toEqual(company);
    expect(await addressOf("__import__.exportcsv_edge_own_address")).toEqual({
      street: "Cumhuriyet Blv. 5",
      street2: "Kat 3",
      zip: "10115",
      city: "Berlin",
      state_id: false,
      country_id: "base.de",
    });
    // Odoo gave the bare company its first contact's address; the address file empties it.
    expect(await addressOf("__import__.exportcsv_edge_bare_co")).toEqual(none);
    expect(await addressOf("__import__.exportcsv_edge_first_contact")).toEqual({
      ...none,
      street: "Bağdat Cd. 7",
      city: "İstanbul",
      country_id: "base.tr",
    });
  });
});
