import { createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";
import { stringify } from "csv-stringify/sync";
import { neutraliseCell } from "./neutralise.js";
import type { Cell } from "./cells.js";

/**
 * A UTF-8 CSV file for Odoo's importer: comma-separated, `"` quoting, no byte-order mark, one
 * header row of field names, every cell neutralised against formula injection. With
 * `header: false` only rows are written, for a part that is appended to another file later.
 */
export class ImportCsvFile {
  private readonly out: WriteStream;
  rows = 0;

  constructor(
    readonly path: string,
    readonly columns: string[],
    options: { header?: boolean } = {},
  ) {
    this.out = createWriteStream(path, { encoding: "utf8" });
    if (options.header !== false) {
      this.out.write(stringify([columns]));
    }
  }

  async write(cells: Map<string, Cell>): Promise<void> {
    const record = this.columns.map((column) => {
      const cell = cells.get(column);
      return cell ? neutraliseCell(cell.text, cell.kind) : "";
    });
    this.rows += 1;
    if (!this.out.write(stringify([record]))) {
      await once(this.out, "drain");
    }
  }

  async close(): Promise<void> {
    this.out.end();
    await once(this.out, "close");
  }
}

/** Column order: `id` first, then `name`, then the rest sorted, so files are stable. */
export function orderColumns(columns: Iterable<string>): string[] {
  const unique = new Set(columns);
  const rest = [...unique].filter((c) => c !== "id" && c !== "name").sort();
  const first = ["id", "name"].filter((c) => unique.has(c));
  return [...first, ...rest];
}
