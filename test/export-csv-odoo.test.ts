import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
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

interface ImportResult {
  ids: number[] | false;
  messages: { type: string; message: string; record?: unknown }[];
}

type Row = Record<string, string>;

describeOdoo("export-csv package through Odoo's importer", () => {
  let work: string;
  let pkg: string;
  let guide: GuideInput;
  let server: OdooServer | undefined;
  let odoo: OdooClient;
  const imported = new Map<string, ImportResult>();

  const csvRows = (file: string): Row[] =>
    parse(readFileSync(join(pkg, file), "utf8"), { columns: true }) as Row[];

  const call = <T>(model: string, method: string, args: unknown[], kwargs = {}) =>
    odoo.executeKw<T>(model, method, args, kwargs);

  async function importFile(file: string, model: string): Promise<ImportResult> {
    const bytes = readFileSync(join(pkg, file));
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
    };
    return call<ImportResult>("base_import.import", "execute_import", [
      [wizard],
      header,
      header,
      options,
    ]);
  }

  async function readByExternalId(xmlId: string, model: string, fields: string[]): Promise<Row> {
    const [, name] = xmlId.split(".");
    const data = await call<{ res_id: number }[]>(
      "ir.model.data",
      "search_read",
      [
        [
          ["module", "=", "__import__"],
          ["name", "=", name],
          ["model", "=", model],
        ],
      ],
      { fields: ["res_id"] },
    );
    const resId = data[0]?.res_id;
    if (!resId) throw new Error(`${xmlId} was not imported`);
    const [record] = await call<Row[]>(model, "read", [[resId], fields]);
    return record as Row;
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "mapping-odoo-"));
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

    server = await startOdoo({ prefix: "mapping" });
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
    for (const email of guide.owners.keys()) {
      await call("res.users", "create", [{ name: email, login: email }]);
    }

    // Step 2: every file in the guide's order.
    for (const file of guide.files) {
      imported.set(file.file, await importFile(file.file, file.model));
    }
  }, 900_000);

  afterAll(async () => {
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("imports every file without errors", () => {
    for (const file of guide.files) {
      const result = imported.get(file.file);
      expect(result?.messages ?? [], file.file).toEqual([]);
      expect(result?.ids ? result.ids.length : 0, file.file).toBe(file.rows);
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

  it("sets the salesperson by login", async () => {
    const [row] = csvRows("04_res.partner-salesperson.csv");
    if (!row?.id) throw new Error("no salesperson row");
    const contact = await readByExternalId(row.id, "res.partner", ["user_id"]);
    const [user] = await call<Row[]>("res.users", "read", [
      [(contact.user_id as unknown as [number])[0]],
      ["login"],
    ]);
    expect(user?.login).toBe(row.user_id);
  });

  it("updates instead of duplicating on a second import", async () => {
    const before = await call<number>("res.partner", "search_count", [[]]);
    const again = await importFile("03_res.partner.csv", "res.partner");
    expect(again.messages).toEqual([]);
    expect(await call<number>("res.partner", "search_count", [[]])).toBe(before);
  });
});
