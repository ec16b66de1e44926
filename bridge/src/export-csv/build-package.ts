import { randomBytes } from "node:crypto";
import { mkdir, readdir, rename, rm, rmdir, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ConfigError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { ADDRESS_COLUMNS, ADDRESS_FILE, AddressFile } from "./addresses.js";
import { convertValues, type Cell, type ConvertContext } from "./cells.js";
import { ImportCsvFile, orderColumns } from "./csv-file.js";
import { renderImportGuide, type GuideInput, type PackageFile } from "./guide.js";
import { OWNERS_FILE, SALESPERSON_FILE, listOwners, writeOwnersFile } from "./owners.js";
import { readPhaseRows, type PlanManifest, type PlanRow } from "./plan-reader.js";

interface FileSpec {
  file: string;
  model: string;
  phase: string;
  what: string;
  /** Cells of one plan row, or undefined to leave the row out of this file. */
  cells(
    row: PlanRow,
    context: ConvertContext,
  ): { cells: Map<string, Cell>; ownerEmail?: string } | undefined;
}

function withId(row: PlanRow, converted: ReturnType<typeof convertValues>) {
  if (row.xml_id) {
    converted.cells.set("id", { text: `__import__.${row.xml_id}`, kind: "text" });
  }
  return converted;
}

const SPECS: FileSpec[] = [
  {
    file: "01_res.partner.category.csv",
    model: "res.partner.category",
    phase: "tags",
    what: "contact tags: segments, tags and array values",
    cells: (row, context) => withId(row, convertValues(row.values, context)),
  },
  {
    file: "02_res.partner-companies.csv",
    model: "res.partner",
    phase: "companies",
    what: "companies, before the contacts that link to them",
    cells: (row, context) => withId(row, convertValues(row.values, context)),
  },
  {
    file: "03_res.partner.csv",
    model: "res.partner",
    phase: "contacts",
    what: "contacts with tags, parent company, country and custom fields",
    cells: (row, context) => withId(row, convertValues(row.values, context)),
  },
  {
    file: "05_utm.campaign.csv",
    model: "utm.campaign",
    phase: "campaigns",
    what: "campaign names (content and metrics stay in the inventory)",
    cells: (row) => {
      if (row.values.kind !== "campaign" || typeof row.values.title !== "string") {
        return undefined;
      }
      const cells = new Map<string, Cell>([["name", { text: row.values.title, kind: "text" }]]);
      return withId(row, { cells });
    },
  },
];

export interface BuildPackageOptions {
  planDir: string;
  manifest: PlanManifest;
  outDir: string;
  logger: Logger;
  /** Owner e-mail (lower case) → Odoo login, for owners whose login is not their e-mail. */
  ownerLogins?: Map<string, string>;
}

async function assertUsableOutDir(outDir: string): Promise<boolean> {
  try {
    const entries = await readdir(outDir);
    if (entries.length > 0) {
      throw new ConfigError(
        `${outDir} is not empty; export-csv writes only into a new or empty folder`,
      );
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      return false;
    }
    throw error;
  }
}

async function stageNames(options: BuildPackageOptions): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for await (const row of readPhaseRows(options.planDir, options.manifest, "stages")) {
    if (row.xml_id && typeof row.values.name === "string") {
      names.set(row.xml_id, row.values.name);
    }
  }
  return names;
}

/**
 * Write the import package into a temporary folder beside `outDir` and rename it into place
 * when complete, so a failed export leaves no half package.
 */
export async function buildPackage(options: BuildPackageOptions): Promise<GuideInput> {
  const existed = await assertUsableOutDir(options.outDir);
  const work = join(
    dirname(options.outDir),
    `.${basename(options.outDir)}.partial-${randomBytes(4).toString("hex")}`,
  );
  await mkdir(work, { recursive: true });
  try {
    const guide = await writeFiles(options, work);
    await writeFile(join(work, "IMPORT-GUIDE.md"), renderImportGuide(guide), "utf8");
    if (existed) {
      await rmdir(options.outDir);
    }
    await rename(work, options.outDir);
    return guide;
  } catch (error) {
    await rm(work, { recursive: true, force: true });
    throw error;
  }
}

async function writeFiles(options: BuildPackageOptions, work: string): Promise<GuideInput> {
  const context: ConvertContext = {
    stageNames: await stageNames(options),
    extraFields: new Map(),
    dropped: new Map(),
  };
  const files: PackageFile[] = [];
  const usedColumns = new Set<string>();
  const owners = new Map<string, number>();
  const logins = options.ownerLogins ?? new Map<string, string>();

  for (const spec of SPECS) {
    const columns = new Set<string>();
    // The first pass only collects columns, so its dropped-field counts are thrown away.
    const scan: ConvertContext = { ...context, dropped: new Map() };
    for await (const row of readPhaseRows(options.planDir, options.manifest, spec.phase)) {
      const converted = spec.cells(row, scan);
      converted?.cells.forEach((_, column) => columns.add(column));
    }
    if (columns.size === 0) {
      continue;
    }

    const ordered = orderColumns(columns);
    ordered.forEach((column) => usedColumns.add(column));
    const csv = new ImportCsvFile(join(work, spec.file), ordered);
    const contacts = spec.phase === "contacts";
    const salesperson = contacts
      ? new ImportCsvFile(join(work, SALESPERSON_FILE), ["id", "user_id"])
      : undefined;
    const addresses = contacts
      ? new AddressFile(join(work, ADDRESS_FILE), join(work, `.${ADDRESS_FILE}.children`))
      : undefined;
    for await (const row of readPhaseRows(options.planDir, options.manifest, spec.phase)) {
      const converted = spec.cells(row, context);
      if (!converted) {
        continue;
      }
      await csv.write(converted.cells);
      await addresses?.addContact(row, converted.cells);
      const id = converted.cells.get("id");
      if (salesperson && converted.ownerEmail && id) {
        const email = converted.ownerEmail;
        owners.set(email, (owners.get(email) ?? 0) + 1);
        await salesperson.write(
          new Map([
            ["id", id],
            ["user_id", { text: logins.get(email) ?? email, kind: "text" }],
          ]),
        );
      }
    }
    await csv.close();
    files.push({
      file: spec.file,
      model: spec.model,
      rows: csv.rows,
      what: spec.what,
      columns: ordered,
    });

    if (addresses && (await addresses.finish(companyIds(options)))) {
      files.push({
        file: ADDRESS_FILE,
        model: "res.partner",
        rows: addresses.rows,
        what: "own address of each contact linked to a company, after Odoo copied the company's",
        columns: ADDRESS_COLUMNS,
      });
    }
    if (salesperson) {
      await salesperson.close();
      if (salesperson.rows > 0) {
        files.push({
          file: SALESPERSON_FILE,
          model: "res.partner",
          rows: salesperson.rows,
          what: "optional: salesperson of each contact, found by the Odoo user's login",
          columns: ["id", "user_id"],
          optional: true,
        });
      } else {
        await rm(salesperson.path);
      }
    }
  }
  files.sort((a, b) => (a.file < b.file ? -1 : 1));

  const ownerList = await listOwners(
    options.planDir,
    options.manifest,
    owners,
    logins,
    options.logger,
  );
  if (ownerList.length > 0) {
    await writeOwnersFile(join(work, OWNERS_FILE), ownerList);
  }
  const schema = await readSchema(options);
  return {
    files,
    customFields: [
      ...schema.fields.filter((field) => usedColumns.has(field.name)),
      ...[...context.extraFields.values()].map((field) => ({ ...field, selection: undefined })),
    ].sort((a, b) => (a.name < b.name ? -1 : 1)),
    languages: schema.languages,
    owners: ownerList,
    dropped: context.dropped,
    snapshotHash: options.manifest.snapshotHash,
    mappingHash: options.manifest.mappingHash,
  };
}

async function* companyIds(
  options: BuildPackageOptions,
): AsyncGenerator<{ row: PlanRow; id: string | undefined }> {
  for await (const row of readPhaseRows(options.planDir, options.manifest, "companies")) {
    yield { row, id: row.xml_id ? `__import__.${row.xml_id}` : undefined };
  }
}

async function readSchema(options: BuildPackageOptions): Promise<{
  fields: GuideInput["customFields"];
  languages: string[];
}> {
  const fields: GuideInput["customFields"] = [];
  const languages: string[] = [];
  for await (const row of readPhaseRows(options.planDir, options.manifest, "schema")) {
    const values = row.values;
    if (values.kind === "field" && typeof values.name === "string") {
      fields.push({
        name: values.name,
        ttype: String(values.ttype ?? "char"),
        description: String(values.field_description ?? values.name),
        selection: Array.isArray(values.selection)
          ? (values.selection as [string, string][])
          : undefined,
      });
    } else if (values.kind === "lang" && typeof values.code === "string") {
      languages.push(values.code);
    }
  }
  return { fields, languages };
}
