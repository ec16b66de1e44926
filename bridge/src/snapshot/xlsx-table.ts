import ExcelJS from "exceljs";
import { SnapshotFileError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { cutCells, findTooLong, tooLongProblem } from "./cell-limits.js";
import { cellValue, type Table, type TableRow } from "./table.js";
import { orderedXlsxStream } from "./xlsx-order.js";

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

/**
 * Cell value as text. Excel dates carry no time zone: ExcelJS returns the wall-clock value as
 * a UTC Date, so it is written back without an offset and read later in the source time zone.
 * An error cell reads as its error code (`#N/A`), as a CSV saved by Excel writes it, so that the
 * value is reported like any other that does not convert instead of becoming an empty cell.
 */
export function xlsxCellText(value: unknown): string | undefined {
  if (value === null || value === undefined) {
    return undefined;
  }
  if (value instanceof Date) {
    const day = `${pad(value.getUTCFullYear(), 4)}-${pad(value.getUTCMonth() + 1)}-${pad(value.getUTCDate())}`;
    const time = `${pad(value.getUTCHours())}:${pad(value.getUTCMinutes())}:${pad(value.getUTCSeconds())}`;
    return time === "00:00:00" ? day : `${day}T${time}`;
  }
  if (typeof value === "object") {
    const cell = value as {
      richText?: { text: string }[];
      text?: unknown;
      result?: unknown;
      error?: string;
    };
    if (cell.richText) {
      return cell.richText.map((part) => part.text).join("");
    }
    if (cell.error !== undefined) {
      return String(cell.error);
    }
    if ("result" in cell || "formula" in cell || "sharedFormula" in cell) {
      // A formula without a stored result has no value, and openXlsxTable reports its row.
      return xlsxCellText(cell.result);
    }
    if (cell.text !== undefined) {
      return xlsxCellText(cell.text);
    }
    return JSON.stringify(value);
  }
  return String(value);
}

/** Column letters of a 1-based column number: 1 is A, 28 is AB. */
export function columnLetters(column: number): string {
  let letters = "";
  for (let rest = column; rest > 0; rest = Math.floor((rest - 1) / 26)) {
    letters = String.fromCharCode(65 + ((rest - 1) % 26)) + letters;
  }
  return letters;
}

/** Location of a row, so that an unreadable cell is named by sheet and address. */
export interface RowPlace {
  file: string;
  sheet: string;
  row: number;
}

/**
 * Reject a shared-string reference that ExcelJS could not resolve. ExcelJS returns such a cell
 * as `{sharedString: N}` when it has not read the shared-string table before the worksheet.
 * Read as text, it would be a wrong value in every row.
 */
export function assertResolved(value: unknown, place: RowPlace, column: number): void {
  if (typeof value === "object" && value !== null && "sharedString" in value) {
    const index = (value as { sharedString: unknown }).sharedString;
    const sheet = place.sheet ? `worksheet "${place.sheet}"` : "the first worksheet";
    throw new SnapshotFileError(
      place.file,
      `${sheet}, cell ${columnLetters(column)}${place.row}: refers to shared string ${String(index)}, ` +
        "but the workbook's shared-string table (xl/sharedStrings.xml) could not be read; open " +
        "the file in Excel or LibreOffice and save it again as .xlsx, or export it as CSV",
    );
  }
}

function rowCells(values: unknown, place: RowPlace): (string | undefined)[] {
  // ExcelJS row values are 1-based: index 0 is always empty.
  const list = Array.isArray(values) ? values : [];
  const cells: (string | undefined)[] = [];
  for (let i = 1; i < list.length; i += 1) {
    const value: unknown = list[i];
    if (typeof value === "object" && value !== null) {
      assertResolved(value, place, i);
    }
    cells.push(cellValue(xlsxCellText(value)));
  }
  return cells;
}

/**
 * Return the index (0-based) of the first cell that contains a number beyond 2^53, or -1. Excel keeps 15
 * significant digits, so such a number (a long numeric extId, say) has already lost its last
 * digits, and two different ids may have become one.
 */
function impreciseNumberAt(values: unknown): number {
  const list = Array.isArray(values) ? values : [];
  for (let i = 1; i < list.length; i += 1) {
    const value: unknown = list[i];
    const number =
      typeof value === "object" && value !== null && "result" in value
        ? (value as { result: unknown }).result
        : value;
    if (typeof number === "number" && Math.abs(number) > Number.MAX_SAFE_INTEGER) {
      return i - 1;
    }
  }
  return -1;
}

/**
 * Find the first formula cell without a stored result: its 0-based column and its formula. Such
 * a cell has no value to read, because the program that wrote the file did not compute it, or
 * its result is an error, which ExcelJS's streaming reader does not return for formulas.
 */
function formulaWithoutResultAt(values: unknown): { column: number; formula: string } | undefined {
  const list = Array.isArray(values) ? values : [];
  for (let i = 1; i < list.length; i += 1) {
    const value: unknown = list[i];
    if (typeof value !== "object" || value === null || value instanceof Date) continue;
    const cell = value as { formula?: unknown; sharedFormula?: unknown; result?: unknown };
    const formula = cell.formula ?? cell.sharedFormula;
    if (formula !== undefined && cell.result === undefined) {
      return { column: i - 1, formula: String(formula) };
    }
  }
  return undefined;
}

// NOTE: ExcelJS keeps the workbook's shared-string table in memory, so an XLSX export's memory
// grows with its number of distinct texts (one sheet holds at most 1,048,576 rows). CSV exports
// stream in constant memory.
/**
 * Streaming reader over the workbook at `path`, its zip entries reordered so that the shared
 * strings, relations and workbook are read before any worksheet (see `orderedXlsxStream`).
 */
export async function openXlsxReader(
  path: string,
  options: Partial<ExcelJS.stream.xlsx.WorkbookStreamReaderOptions>,
  file?: string,
): Promise<XlsxReader> {
  const stream = await orderedXlsxStream(path, file);
  return {
    reader: withEmptyModel(new ExcelJS.stream.xlsx.WorkbookReader(stream, options)),
    // ExcelJS leaves its input open when a caller stops reading early, as the header pass does.
    close: () => stream.destroy(),
  };
}

/** A streaming workbook reader and the function that closes its file. */
export interface XlsxReader {
  reader: ExcelJS.stream.xlsx.WorkbookReader;
  close(): void;
}

function createReader(path: string, file: string): Promise<XlsxReader> {
  return openXlsxReader(
    path,
    {
      worksheets: "emit",
      sharedStrings: "cache",
      hyperlinks: "ignore",
      styles: "cache",
      entries: "ignore",
    },
    file,
  );
}

/**
 * Give a streaming reader an empty workbook model until it reads `xl/workbook.xml`. ExcelJS
 * reads a worksheet that comes before that entry in the zip as soon as the shared strings and
 * relations are known, and then fails on the missing model ("reading 'sheets'"). The zip
 * format allows any entry order, and ExcelJS's own writer does not always put the workbook
 * first. Such a worksheet is read without its name.
 */
export function withEmptyModel<T extends ExcelJS.stream.xlsx.WorkbookReader>(reader: T): T {
  const holder = reader as unknown as { model?: unknown };
  holder.model ??= {};
  return reader;
}

/**
 * Open the first worksheet of an XLSX export with ExcelJS's streaming reader. The first
 * non-empty row is the header. A later worksheet with any value is an error once the rows are
 * read, since its rows would otherwise be left out.
 */
export async function openXlsxTable(path: string, file: string, _logger: Logger): Promise<Table> {
  let headers: string[] | undefined;
  let sheetName = "";

  async function* sheetRows(): AsyncGenerator<{
    line: number;
    cells: (string | undefined)[];
    imprecise: number;
    formula: { column: number; formula: string } | undefined;
  }> {
    let close: (() => void) | undefined;
    try {
      let first = true;
      const opened = await createReader(path, file);
      close = opened.close;
      for await (const worksheet of opened.reader) {
        const name = (worksheet as unknown as { name?: string }).name ?? "";
        if (first) {
          first = false;
          sheetName = name;
          for await (const row of worksheet) {
            yield {
              line: row.number,
              cells: rowCells(row.values, { file, sheet: name, row: row.number }),
              imprecise: impreciseNumberAt(row.values),
              formula: formulaWithoutResultAt(row.values),
            };
          }
          continue;
        }
        // Only the first worksheet is read, so rows on another would be lost without a word.
        for await (const row of worksheet) {
          const place = { file, sheet: name, row: row.number };
          if (rowCells(row.values, place).some((cell) => cell !== undefined)) {
            throw new SnapshotFileError(
              file,
              `worksheet "${name}" contains data (row ${row.number}), but only the first ` +
                `worksheet ("${sheetName}") is read; save each worksheet as a file of its own`,
            );
          }
        }
      }
    } catch (error) {
      if (error instanceof SnapshotFileError) {
        throw error;
      }
      throw new SnapshotFileError(file, `cannot be read as XLSX: ${(error as Error).message}`, {
        cause: error,
      });
    } finally {
      close?.();
    }
  }

  let headerLine = 0;
  for await (const row of sheetRows()) {
    if (row.cells.some((cell) => cell !== undefined)) {
      headers = row.cells.map((cell) => (cell ?? "").trim());
      headerLine = row.line;
      break;
    }
  }
  if (!headers) {
    throw new SnapshotFileError(file, "has no header row in its first worksheet");
  }
  const headerCount = headers.length;
  const headerList = headers;

  async function* rows(): AsyncGenerator<TableRow> {
    for await (const row of sheetRows()) {
      if (row.line <= headerLine || row.cells.every((cell) => cell === undefined)) {
        continue;
      }
      const cells = row.cells.slice(0, Math.max(headerCount, row.cells.length));
      while (cells.length < headerCount) {
        cells.push(undefined);
      }
      const tableRow: TableRow = { line: row.line, cells };
      // ExcelJS has read the whole cell into memory by now. checkXlsxTextRuns rejected the file
      // before this read if any text was long enough for that to matter.
      const over = findTooLong(cells);
      if (over) {
        cutCells(cells, over);
        tableRow.problem = tooLongProblem(headerList, over);
        tableRow.tooLong = over;
      } else if (
        row.cells.length > headerCount &&
        row.cells.slice(headerCount).some((c) => c !== undefined)
      ) {
        tableRow.problem = `has values in ${row.cells.length} columns, the header has ${headerCount}`;
      } else if (row.formula) {
        const { column, formula } = row.formula;
        cells[column] = undefined;
        tableRow.problem =
          `column ${column + 1} ("${headerList[column] ?? ""}") contains the formula =${formula} ` +
          "without a stored result (not computed, or an error such as #DIV/0!), so its value is " +
          "unknown; open the workbook in Excel or LibreOffice, save it again, or export it as CSV";
      } else if (row.imprecise >= 0) {
        const column = row.imprecise;
        tableRow.problem =
          `column ${column + 1} ("${headerList[column] ?? ""}") holds the number ${cells[column] ?? ""}, ` +
          "longer than the 15 digits Excel keeps, so its last digits are lost; store the column " +
          "as text in the export";
      }
      yield tableRow;
    }
  }

  async function* rowBatches(): AsyncGenerator<TableRow[]> {
    let batch: TableRow[] = [];
    for await (const row of rows()) {
      batch.push(row);
      if (batch.length >= 1000) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) {
      yield batch;
    }
  }

  return { file, headers, format: { kind: "xlsx", sheet: sheetName }, rows, rowBatches };
}
