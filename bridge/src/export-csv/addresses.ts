import { createReadStream, createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import type { Cell } from "./cells.js";
import { ImportCsvFile } from "./csv-file.js";
import type { PlanRow } from "./plan-reader.js";

export const ADDRESS_FILE = "04_res.partner-addresses.csv";

/** Odoo's address fields, which it copies from a company onto its child contacts. */
const ADDRESS_FIELDS = ["street", "street2", "zip", "city", "state_id", "country_id"];

/** Columns of the address file: every address field, so a field the row lacks is cleared. */
export const ADDRESS_COLUMNS = [
  "id",
  "street",
  "street2",
  "zip",
  "city",
  "state_id/id",
  "country_id/id",
];

function hasAddress(values: Record<string, unknown>): boolean {
  return ADDRESS_FIELDS.some((field) => {
    const value = values[field];
    return value !== null && value !== undefined && value !== false && value !== "";
  });
}

function hasParent(values: Record<string, unknown>): boolean {
  const parent = values.parent_id;
  return typeof parent === "object" && parent !== null;
}

/**
 * The file imported after the contacts that gives each child contact its own address back.
 *
 * Odoo's importer creates a contact, then copies every non-empty address field of its company
 * over the contact's. On a later import that sets `parent_id` it copies the company's whole
 * address. A write that carries address fields but neither `parent_id` nor `type` is kept, so
 * this file holds only `id` and the address columns. A child row with an address gets all of
 * them, empty where the plan has none, as migrate writes it. A child row without any address
 * keeps the company's, as Odoo gives it.
 *
 * Odoo also copies the first contact's address onto a company that has none. So companies
 * without an address in the plan that have a child with an address come first, with empty
 * cells. Writing them makes Odoo empty the address of their children, so the child rows follow.
 */
export class AddressFile {
  /** Company IDs (`__import__.…`) that have a child contact with an address of its own. */
  private readonly parents = new Set<string>();
  private readonly children: ImportCsvFile;
  rows = 0;

  constructor(
    readonly path: string,
    private readonly childrenPath: string,
  ) {
    this.children = new ImportCsvFile(childrenPath, ADDRESS_COLUMNS, { header: false });
  }

  /** Take one contact row as written to the contacts file. */
  async addContact(row: PlanRow, cells: Map<string, Cell>): Promise<void> {
    const parent = cells.get("parent_id/id");
    if (!hasParent(row.values) || !hasAddress(row.values) || !cells.has("id") || !parent) {
      return;
    }
    this.parents.add(parent.text);
    await this.children.write(cells);
  }

  /**
   * Write the file: the companies, then the child rows. `companies` yields the company rows
   * with their IDs. Returns false, and leaves no file, when no row needs its address back.
   */
  async finish(
    companies: AsyncIterable<{ row: PlanRow; id: string | undefined }>,
  ): Promise<boolean> {
    await this.children.close();
    if (this.children.rows === 0) {
      await rm(this.childrenPath);
      return false;
    }
    const file = new ImportCsvFile(this.path, ADDRESS_COLUMNS);
    for await (const { row, id } of companies) {
      if (id && this.parents.has(id) && !hasAddress(row.values)) {
        await file.write(new Map([["id", { text: id, kind: "text" }]]));
      }
    }
    await file.close();
    await pipeline(
      createReadStream(this.childrenPath),
      createWriteStream(this.path, { flags: "a" }),
    );
    await rm(this.childrenPath);
    this.rows = file.rows + this.children.rows;
    return true;
  }
}
