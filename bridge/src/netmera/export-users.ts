import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { parse } from "csv-parse";
import { assertResolved, openXlsxReader, type XlsxReader } from "../snapshot/xlsx-table.js";
import iconv from "iconv-lite";
import { SnapshotFileError } from "../core/errors.js";
import { MAX_RECORD_CHARS } from "../snapshot/cell-limits.js";
import { createDecoder, type TextEncoding } from "../snapshot/encoding.js";

/**
 * Header spellings of the External ID column. Netmera's Export Users dialog calls the
 * identifier "External ID" (https://user.netmera.com/netmera-user-guide/targeting/export-users.md),
 * the REST API calls it extId or externalId; the exact CSV header label is not documented.
 */
const EXT_ID_HEADERS = new Set(["externalid", "extid", "externaluserid"]);

/** Delimiters the FTP Data Export offers: comma, pipe, tilde, broken pipe, caret, semicolon; plus tab. */
const DELIMITERS = [",", ";", "|", "~", "^", "¦", "\t"];

export interface UserFileSummary {
  file: string;
  rows: number;
  /** Rows whose External ID cell is empty or the literal `null`. */
  rowsWithoutExtId: number;
  /** False when no column header names the External ID; then no row could be used. */
  hasExtIdColumn: boolean;
}

/**
 * Stream the extIds of one panel "Export Users" file (CSV or XLSX) to `onExtId`. Only the
 * identifier is read here; the snapshot reader interprets the other columns later.
 */
export async function readExportUserIds(
  path: string,
  displayName: string,
  onExtId: (extId: string) => void,
): Promise<UserFileSummary> {
  const rows = path.toLowerCase().endsWith(".xlsx")
    ? xlsxRows(path, displayName)
    : csvRows(path, displayName);
  const summary: UserFileSummary = {
    file: displayName,
    rows: 0,
    rowsWithoutExtId: 0,
    hasExtIdColumn: false,
  };
  let column = -1;
  let header = true;
  for await (const row of rows) {
    if (header) {
      column = row.findIndex((cell) => EXT_ID_HEADERS.has(normalizeHeader(cell)));
      summary.hasExtIdColumn = column >= 0;
      header = false;
      continue;
    }

    if (row.every((cell) => cell.trim() === "")) {
      continue;
    }

    summary.rows += 1;
    const value = column >= 0 ? (row[column] ?? "").trim() : "";
    if (value === "" || value.toLowerCase() === "null") {
      summary.rowsWithoutExtId += 1;
      continue;
    }

    onExtId(value);
  }

  return summary;
}

function normalizeHeader(cell: string): string {
  return cell
    .replace(/^\uFEFF/, "")
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "");
}

async function* csvRows(path: string, displayName: string): AsyncGenerator<string[]> {
  const { encoding, bomLength, sample } = await sniffEncoding(path);
  const delimiter = sniffDelimiter(sample);
  // The snapshot reader's strict decoders: invalid UTF-8, a lone UTF-16 surrogate or an odd
  // last byte stop the read with the byte offset instead of becoming U+FFFD or vanishing.
  const decoder = createDecoder(
    { encoding: TEXT_ENCODINGS[encoding] ?? "windows-1254", bomLength, path, reason: "sniffed" },
    displayName,
  );
  const source = createReadStream(path, { start: bomLength });
  const parser = parse({
    delimiter,
    relax_column_count: true,
    bom: true,
    skip_empty_lines: true,
    // Bounds the memory of a record, such as one with a quote left open, as the reader does.
    max_record_size: MAX_RECORD_BYTES,
  });
  source.on("error", (error) => parser.destroy(error));
  decoder.on("error", (error) => parser.destroy(error));
  source.pipe(decoder).pipe(parser);
  try {
    for await (const record of parser) {
      yield record as string[];
    }
  } catch (error) {
    if (error instanceof SnapshotFileError) {
      throw error;
    }
    const line = (error as { lines?: number }).lines;
    if ((error as { code?: string }).code === "CSV_MAX_RECORD_SIZE") {
      const column = (error as { column?: unknown }).column;
      throw new SnapshotFileError(
        displayName,
        `line ${line ?? "?"}${typeof column === "number" ? `, column ${column + 1}` : ""}: the ` +
          `row runs past ${MAX_RECORD_BYTES.toLocaleString("en-US")} bytes; a quote left open or ` +
          "a damaged export does this. Repair the row or export the file again",
        { cause: error },
      );
    }
    throw new SnapshotFileError(
      displayName,
      `cannot be read as ${encoding} CSV with delimiter ${JSON.stringify(delimiter)}${line === undefined ? "" : ` (line ${line})`}: ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    source.destroy();
  }
}

/** Maximum CSV record size in UTF-8 bytes: three for each character of the reader's row limit. */
const MAX_RECORD_BYTES = 3 * MAX_RECORD_CHARS;

/** The snapshot reader's names for the encodings sniffed here. */
const TEXT_ENCODINGS: Record<string, TextEncoding> = {
  utf8: "utf-8",
  utf16le: "utf-16le",
  utf16be: "utf-16be",
  "windows-1254": "windows-1254",
};

/**
 * Encoding from the byte-order mark, else UTF-8 when the first 64 KiB decode cleanly, else
 * Windows-1254 (Turkish), the usual legacy encoding of Turkish spreadsheets.
 */
async function sniffEncoding(
  path: string,
): Promise<{ encoding: string; bomLength: number; sample: string }> {
  const handle = await open(path, "r");
  const buffer = Buffer.alloc(65_536);
  const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
  await handle.close();
  const head = buffer.subarray(0, bytesRead);

  let encoding = "windows-1254";
  let bomLength = 0;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) {
    encoding = "utf8";
    bomLength = 3;
  } else if (head[0] === 0xff && head[1] === 0xfe) {
    encoding = "utf16le";
    bomLength = 2;
  } else if (head[0] === 0xfe && head[1] === 0xff) {
    encoding = "utf16be";
    bomLength = 2;
  } else if (isUtf8(head)) {
    encoding = "utf8";
  }

  return { encoding, bomLength, sample: iconv.decode(head.subarray(bomLength), encoding) };
}

function isUtf8(bytes: Buffer): boolean {
  // A multi-byte sequence cut at the end of the sample is not an error.
  const decoder = new TextDecoder("utf-8", { fatal: true });
  try {
    decoder.decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** The candidate delimiter that occurs most often, outside quotes, in the header line. */
function sniffDelimiter(sample: string): string {
  const counts = new Map<string, number>();
  let quoted = false;
  for (const char of sample) {
    if (char === '"') {
      quoted = !quoted;
    } else if (!quoted && (char === "\n" || char === "\r")) {
      break;
    } else if (!quoted && DELIMITERS.includes(char)) {
      counts.set(char, (counts.get(char) ?? 0) + 1);
    }
  }

  let best = ",";
  let bestCount = 0;
  for (const [delimiter, count] of counts) {
    if (count > bestCount) {
      best = delimiter;
      bestCount = count;
    }
  }

  return best;
}

/** Rows of the first worksheet as text cells, read as a stream. */
async function* xlsxRows(path: string, displayName: string): AsyncGenerator<string[]> {
  const { reader, close } = await openXlsxReader(path, {
    worksheets: "emit",
    sharedStrings: "cache",
  });
  try {
    yield* firstSheetRows(reader, displayName);
  } finally {
    close();
  }
}

async function* firstSheetRows(
  reader: XlsxReader["reader"],
  displayName: string,
): AsyncGenerator<string[]> {
  for await (const worksheet of reader) {
    const sheet = (worksheet as unknown as { name?: string }).name ?? "";
    for await (const row of worksheet) {
      const values = row.values as unknown[];
      const place = { file: displayName, sheet, row: row.number };
      for (let i = 1; i < values.length; i += 1) {
        assertResolved(values[i], place, i);
      }
      yield Array.from(values.slice(1), cellText);
    }

    return;
  }
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) {
    return "";
  }

  if (typeof value !== "object") {
    return String(value);
  }

  const cell = value as { richText?: Array<{ text: string }>; text?: unknown; result?: unknown };
  if (cell.richText) {
    return cell.richText.map((part) => part.text).join("");
  }

  if (cell.text !== undefined) {
    return cellText(cell.text);
  }

  if (cell.result !== undefined) {
    return cellText(cell.result);
  }

  return value instanceof Date ? value.toISOString() : JSON.stringify(value);
}
