import { extname } from "node:path";
import { SnapshotFileError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { isNullLiteral } from "../normalize/text.js";
import { openCsvTable } from "./csv-table.js";
import { openXlsxTable } from "./xlsx-table.js";

/** One data row of a tabular export. Cells without a value (empty or `null`) are `undefined`. */
export interface TableRow {
  /** 1-based line of the row in the file (CSV: first physical line; XLSX: sheet row number). */
  line: number;
  cells: (string | undefined)[];
  /** Set when the row's field count differs from the header's, or a cell is too long. */
  problem?: string;
  /** The cell (or, with column -1, the row) over the reader's length limit; it is cut short. */
  tooLong?: { column: number; length: number };
}

export interface Table {
  /** Path relative to the snapshot root, as messages name it. */
  file: string;
  headers: string[];
  /** Details of how the file was read (encoding, delimiter), for the audit. */
  format: { kind: "csv"; encoding: string; delimiter: string } | { kind: "xlsx"; sheet: string };
  rows(): AsyncIterable<TableRow>;
  /** The same rows in batches, for loops where one promise per row costs too much. */
  rowBatches(): AsyncIterable<TableRow[]>;
}

/** Flatten row batches into single rows. */
export async function* rowsOf(batches: AsyncIterable<TableRow[]>): AsyncGenerator<TableRow> {
  for await (const batch of batches) {
    yield* batch;
  }
}

/** Open a CSV or XLSX export; the rows are streamed, never loaded whole. */
export async function openTable(path: string, file: string, logger: Logger): Promise<Table> {
  const extension = extname(path).toLowerCase();
  if (extension === ".csv" || extension === ".txt" || extension === ".tsv") {
    return openCsvTable(path, file, logger);
  }
  if (extension === ".xlsx") {
    return openXlsxTable(path, file, logger);
  }
  throw new SnapshotFileError(
    file,
    `unsupported file type "${extension}" (expected .csv or .xlsx)`,
  );
}

/** Cell text to the reader's value: empty, blank and the literal `null` carry no value. */
export function cellValue(raw: string | undefined): string | undefined {
  if (raw === undefined) {
    return undefined;
  }
  const trimmed = raw.trim();
  if (trimmed === "" || isNullLiteral(trimmed)) {
    return undefined;
  }
  return raw;
}
