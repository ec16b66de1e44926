import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { parse } from "csv-parse";
import iconv from "iconv-lite";
import { SnapshotFileError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import {
  cutCells,
  findTooLong,
  MAX_CELL_CHARS,
  MAX_RECORD_CHARS,
  tooLongProblem,
  type TooLong,
} from "./cell-limits.js";
import { OverlongRecordSkipper } from "./csv-overlong.js";
import { delimiterDirective, detectDelimiter, EMPTY_FILE } from "./delimiter.js";
import { createDecoder, detectEncoding, type DetectedEncoding } from "./encoding.js";
import { cellValue, rowsOf, type Table, type TableRow } from "./table.js";

const SAMPLE_BYTES = 64 * 1024;

async function readSample(path: string, detected: DetectedEncoding): Promise<string> {
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.alloc(SAMPLE_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SAMPLE_BYTES, detected.bomLength);
    const bytes = buffer.subarray(0, bytesRead);
    if (detected.encoding === "utf-8") {
      return new TextDecoder("utf-8").decode(bytes);
    }
    const name = detected.encoding === "windows-1254" ? "win1254" : detected.encoding;
    return iconv.decode(bytes, name);
  } finally {
    await handle.close();
  }
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/**
 * CSV scanner for the common shape of exports, about twice as fast as csv-parse here: fields
 * that are either plain (quotes inside them are kept) or wholly quoted (with "" for a quote),
 * and records ended by LF or CRLF. Some exports mix the two, so each record may end either way,
 * as csv-parse reads them with both record delimiters. Anything else sets `handOver`: text
 * after a closing quote, a CR without LF, a quote on the first line or an unclosed quote. The
 * caller then reads the file again with csv-parse, whose relaxed rules decide those cases. Up
 * to that point both give the same records.
 */
export class FastCsvScanner {
  handOver = false;
  /** Records of the last `scan` that are over a length limit, with what is too long. */
  readonly tooLong = new Map<string[], TooLong>();
  private readonly delimiter: number;
  /** Whether the first line has been checked; true once it ends in CRLF. */
  private crlf: boolean | undefined;

  constructor(delimiter: string) {
    this.delimiter = delimiter.length === 1 ? delimiter.charCodeAt(0) : -1;
    this.handOver = this.delimiter < 0 || this.delimiter === QUOTE;
  }

  /**
   * Append the complete records at the start of `text` to `out` and return the index after the
   * last of them. Unless `final`, a record that reaches the end of `text` waits for more text.
   */
  scan(text: string, final: boolean, out: string[][]): number {
    this.tooLong.clear();
    if (this.handOver || (this.crlf === undefined && !this.detectLineEnding(text, final))) {
      return 0;
    }
    let position = 0;
    while (position < text.length && !this.handOver) {
      const end = this.scanRecord(text, position, final, out);
      if (end < 0) {
        break;
      }
      position = end;
    }
    return position;
  }

  /** Decide the line ending from the first line. Returns false while that line is incomplete. */
  private detectLineEnding(text: string, final: boolean): boolean {
    const lf = text.indexOf("\n");
    const cr = text.indexOf("\r");
    let end = Math.min(lf, cr);
    if (lf < 0 || cr < 0) {
      end = Math.max(lf, cr);
    }
    const quote = text.indexOf('"');
    if (quote >= 0 && (end < 0 || quote < end)) {
      this.handOver = true;
      return false;
    }
    if (end < 0 || (end === cr && end + 1 >= text.length && !final)) {
      // A single line without an ending is a file of one record, so its ending does not matter.
      this.crlf = final ? false : undefined;
      return final;
    }
    if (end === cr && text.charCodeAt(end + 1) !== LF) {
      this.handOver = true;
      return false;
    }
    this.crlf = end === cr;
    return true;
  }

  /** Scan one record from `start`. Returns the index after it, or -1 when it is incomplete. */
  private scanRecord(text: string, start: number, final: boolean, out: string[][]): number {
    const record: string[] = [];
    const length = text.length;
    let position = start;
    while (true) {
      let value: string;
      if (position < length && text.charCodeAt(position) === QUOTE) {
        value = "";
        let from = position + 1;
        while (true) {
          const quote = text.indexOf('"', from);
          if (quote < 0 || (quote + 1 >= length && !final)) {
            if (final) {
              this.handOver = true;
            }
            return -1;
          }
          if (text.charCodeAt(quote + 1) === QUOTE) {
            value += text.slice(from, quote + 1);
            from = quote + 2;
            continue;
          }
          value += text.slice(from, quote);
          position = quote + 1;
          break;
        }
      } else {
        let index = position;
        for (; index < length; index += 1) {
          const code = text.charCodeAt(index);
          // A quote inside a plain field is a plain character, as csv-parse's relax_quotes reads it.
          if (code === this.delimiter || code === LF || code === CR) {
            break;
          }
        }
        if (index >= length && !final) {
          return -1;
        }
        value = text.slice(position, index);
        position = index;
      }
      record.push(value);
      if (position >= length) {
        this.push(record, position - start, out);
        return position;
      }
      const code = text.charCodeAt(position);
      if (code === this.delimiter) {
        position += 1;
        continue;
      }
      const end = this.recordEnd(text, position, final);
      if (end === 0) {
        this.handOver = true;
        return -1;
      }
      if (end < 0) {
        return -1;
      }
      this.push(record, position - start, out);
      return position + end;
    }
  }

  /**
   * Only a record whose text is longer than a cell may hold can break a length limit, so the
   * cells of the few such records are measured here and the others cost one comparison.
   */
  private push(record: string[], length: number, out: string[][]): void {
    if (length > MAX_CELL_CHARS) {
      const tooLong = findTooLong(record);
      if (tooLong) {
        this.tooLong.set(record, tooLong);
      }
    }
    out.push(record);
  }

  /**
   * Length of the line ending at `position` (LF or CRLF, mixed freely within a file), 0 if there
   * is none, -1 if the text ends inside it.
   */
  private recordEnd(text: string, position: number, final: boolean): number {
    const code = text.charCodeAt(position);
    if (code === LF) {
      return 1;
    }
    if (code !== CR) {
      return 0;
    }
    if (position + 1 >= text.length) {
      return final ? 0 : -1;
    }
    return text.charCodeAt(position + 1) === LF ? 2 : 0;
  }
}

/**
 * Record delimiters for csv-parse. Files whose first line ends in a lone CR keep csv-parse's
 * own detection. All others accept LF, CRLF and a lone CR on any record: exports that were
 * concatenated or edited by hand mix them, and one detected ending would glue the other kind
 * of rows together. A CR inside a quoted field stays part of the value.
 */
function recordDelimiterOf(sample: string): string[] | undefined {
  const cr = sample.indexOf("\r");
  const lf = sample.indexOf("\n");
  if (cr >= 0 && (lf < 0 || cr < lf) && sample.charCodeAt(cr + 1) !== LF) {
    return undefined;
  }
  return ["\r\n", "\n", "\r"];
}

/**
 * Maximum record size for csv-parse, in UTF-8 bytes (the unit it counts): three bytes for each
 * character of the row limit. Rows within the character limit pass, and longer ones up to this
 * size are quarantined as in the fast reader. Beyond it csv-parse can only stop the file.
 */
const MAX_RECORD_BYTES = 3 * MAX_RECORD_CHARS;

function parseError(
  file: string,
  error: unknown,
  recordLine?: number,
  columnName: (index: number) => string = () => "",
): SnapshotFileError {
  if (error instanceof SnapshotFileError) {
    return error;
  }
  const where = (error as { lines?: number }).lines;
  if ((error as { code?: string }).code === "CSV_QUOTE_NOT_CLOSED" && recordLine !== undefined) {
    // csv-parse names the line where the file ended. The quote opened in the record after the
    // last one read, and that line is the one a person has to fix.
    return new SnapshotFileError(
      file,
      `line ${recordLine}: a quoted field opens in this row and is not closed before the end ` +
        `of the file${where ? ` (line ${where})` : ""}; close the quote or remove it`,
      { cause: error },
    );
  }
  if ((error as { code?: string }).code === "CSV_MAX_RECORD_SIZE") {
    const column = (error as { column?: unknown }).column;
    const at = typeof column === "number" ? `, column ${column + 1}${columnName(column)}` : "";
    return new SnapshotFileError(
      file,
      `line ${recordLine ?? where ?? "?"}${at}: the row runs past ${MAX_RECORD_BYTES.toLocaleString("en-US")} ` +
        "bytes and is not a row an export writes; a quote left open or a damaged export does " +
        "this. Repair the row or export the file again",
      { cause: error },
    );
  }
  return new SnapshotFileError(
    file,
    `cannot be parsed as CSV${where ? ` at line ${where}` : ""}: ${(error as Error).message}`,
    { cause: error },
  );
}

function headerTooLong(file: string): SnapshotFileError {
  return new SnapshotFileError(
    file,
    `line 1: the header runs past ${MAX_RECORD_CHARS.toLocaleString("en-US")} characters or ` +
      "has a name past the cell limit, so this is not a CSV export (or its first line is damaged)",
  );
}

/** One record as read, with its first line; `tooLong` when it was read past without its text. */
interface CsvRecord {
  line: number;
  record: string[];
  tooLong?: TooLong;
}

/** Open a delimited text export: encoding and delimiter are detected, rows are streamed. */
export async function openCsvTable(path: string, file: string, logger: Logger): Promise<Table> {
  const detected = await detectEncoding(path, file, logger);
  const sample = await readSample(path, detected);
  // A `sep=` line before the header (written by Excel) names the delimiter and is not a record
  // of the table. Its line still counts, so the header is line 2.
  const directive = delimiterDirective(sample, file);
  const delimiter = directive ?? detectDelimiter(sample, file);
  const recordsBeforeHeader = directive ? 1 : 0;
  logger.debug({ file, delimiter }, "delimiter chosen");
  const recordDelimiter = recordDelimiterOf(sample);
  let headers: string[] = [];
  const headerName = (index: number): string =>
    headers[index] === undefined ? "" : ` (${JSON.stringify(headers[index])})`;

  /**
   * Records in batches through csv-parse, leaving out the first `skip` records (which the fast
   * reader already returned) but counting their lines.
   */
  async function* csvParseBatches(skip: number): AsyncGenerator<CsvRecord[]> {
    // Line numbers are counted here rather than with csv-parse's `info`, which costs more than
    // the parsing itself: a record starts one line after the previous one ended, and ends as
    // many lines later as its quoted fields hold line breaks. Empty lines come through as a
    // record with one empty field and are skipped here.
    const parser = parse({
      delimiter,
      record_delimiter: recordDelimiter,
      relax_column_count: true,
      relax_quotes: true,
      max_record_size: MAX_RECORD_BYTES,
    });
    const source = createReadStream(path, { start: detected.bomLength, highWaterMark: 256 * 1024 });
    const decoder = createDecoder(detected, file);
    source.on("error", (error) => parser.destroy(error));
    decoder.on("error", (error) => parser.destroy(error));
    source.pipe(decoder).pipe(parser);
    let nextLine = 1;
    let failure: unknown;
    let ended = false;
    let wake: (() => void) | undefined;
    const signal = () => {
      wake?.();
      wake = undefined;
    };
    parser.on("readable", signal);
    parser.on("end", () => {
      ended = true;
      signal();
    });
    parser.on("error", (error) => {
      failure = error;
      signal();
    });
    try {
      while (true) {
        const batch: CsvRecord[] = [];
        let record: string[] | null;
        while ((record = parser.read() as string[] | null) !== null) {
          const line = nextLine;
          nextLine += 1;
          for (const field of record) {
            if (field.includes("\n")) {
              nextLine += field.split("\n").length - 1;
            }
          }
          if (skip > 0) {
            skip -= 1;
            continue;
          }
          if (record.length === 1 && record[0] === "") {
            continue;
          }
          const tooLong = findTooLong(record);
          batch.push(tooLong ? { line, record, tooLong } : { line, record });
        }
        if (failure) {
          throw failure;
        }
        if (batch.length > 0) {
          yield batch;
          continue;
        }
        if (ended) {
          return;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } catch (error) {
      throw parseError(file, error, nextLine, headerName);
    } finally {
      source.destroy();
      parser.destroy();
    }
  }

  /**
   * Records in batches: the fast reader first, and csv-parse from the start of the file if the
   * fast reader meets text it leaves to csv-parse, so that both give the same records.
   */
  async function* recordBatches(): AsyncGenerator<CsvRecord[]> {
    const fast = yield* fastBatches();
    if (fast.handOver) {
      yield* csvParseBatches(fast.records);
    }
  }

  /** Records in batches from FastCsvScanner, until the file ends or it hands over. */
  async function* fastBatches(): AsyncGenerator<
    CsvRecord[],
    { handOver: boolean; records: number }
  > {
    const scanner = new FastCsvScanner(delimiter);
    const source = createReadStream(path, { start: detected.bomLength, highWaterMark: 256 * 1024 });
    const decoder = createDecoder(detected, file);
    source.on("error", (error) => decoder.destroy(error));
    source.pipe(decoder);
    decoder.setEncoding("utf8");
    let nextLine = 1;
    let records = 0;
    let text = "";
    let skipper: OverlongRecordSkipper | undefined;
    try {
      const chunks = decoder[Symbol.asyncIterator]() as AsyncIterator<string>;
      while (true) {
        const next = await chunks.next();
        const final = next.done === true;
        text = final ? text : text + next.value;
        const batch: CsvRecord[] = [];
        if (skipper) {
          const end = skipper.feed(text, final);
          if (skipper.handOver) {
            return { handOver: true, records };
          }
          if (end < 0) {
            text = "";
            continue;
          }
          records += 1;
          batch.push({ line: nextLine, record: skipper.cells, tooLong: skipper.tooLong });
          nextLine += 1 + skipper.lineFeeds;
          text = text.slice(end);
          skipper = undefined;
        }
        const found: string[][] = [];
        const consumed = scanner.scan(text, final, found);
        for (const record of found) {
          records += 1;
          const line = nextLine;
          nextLine += 1;
          for (const field of record) {
            if (field.includes("\n")) {
              nextLine += field.split("\n").length - 1;
            }
          }
          if (record.length === 1 && record[0] === "") {
            continue;
          }
          const tooLong = scanner.tooLong.size > 0 ? scanner.tooLong.get(record) : undefined;
          batch.push(tooLong ? { line, record, tooLong } : { line, record });
        }
        if (batch.length > 0) {
          yield batch;
        }
        if (scanner.handOver) {
          return { handOver: true, records };
        }
        text = text.slice(consumed);
        if (final) {
          return { handOver: false, records };
        }
        if (text.length > MAX_RECORD_CHARS) {
          // An unfinished record past the row limit is read on without being held.
          if (records === 0) {
            throw headerTooLong(file);
          }
          skipper = new OverlongRecordSkipper(delimiter);
        }
      }
    } catch (error) {
      throw parseError(file, error);
    } finally {
      source.destroy();
      decoder.destroy();
    }
  }

  let headerRecord: CsvRecord | undefined;
  let seen = 0;
  for await (const records of recordBatches()) {
    headerRecord = records[recordsBeforeHeader - seen];
    seen += records.length;
    if (headerRecord || seen > recordsBeforeHeader) {
      break;
    }
  }
  if (!headerRecord) {
    throw new SnapshotFileError(file, EMPTY_FILE);
  }
  if (headerRecord.tooLong || findTooLong(headerRecord.record)) {
    throw headerTooLong(file);
  }
  headers = headerRecord.record.map((header) => header.trim());
  // Exports often end every line with a delimiter: an unnamed last column is empty.
  while (headers.length > 1 && headers[headers.length - 1] === "") {
    headers.pop();
  }
  const unnamed = headers.indexOf("");
  if (unnamed >= 0) {
    throw new SnapshotFileError(
      file,
      `line ${headerRecord.line}, column ${unnamed + 1}: the header has no name for this ` +
        "column; name it or remove the column",
    );
  }

  async function* rowBatches(): AsyncGenerator<TableRow[]> {
    const expected = headers.length;
    let beforeRows = recordsBeforeHeader + 1;
    for await (const records of recordBatches()) {
      const rows: TableRow[] = [];
      for (const { line, record, tooLong } of records) {
        if (beforeRows > 0) {
          beforeRows -= 1;
          continue;
        }
        // Empty fields after the last named column are the trailing delimiters above.
        const fields =
          record.length > expected && record.slice(expected).every((cell) => cell.trim() === "")
            ? record.slice(0, expected)
            : record;
        const row: TableRow = { line, cells: fields.map(cellValue) };
        if (tooLong) {
          cutCells(row.cells, tooLong);
          row.problem = tooLongProblem(headers, tooLong);
          row.tooLong = tooLong;
        } else if (fields.length !== expected) {
          row.problem = `has ${record.length} fields, the header has ${expected}`;
        }
        rows.push(row);
      }
      if (rows.length > 0) {
        yield rows;
      }
    }
  }

  return {
    file,
    headers,
    format: { kind: "csv", encoding: detected.encoding, delimiter },
    rowBatches,
    rows: () => rowsOf(rowBatches()),
  };
}
