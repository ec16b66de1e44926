import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { parse } from "csv-parse";
import iconv from "iconv-lite";
import { SnapshotFileError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { detectDelimiter } from "./delimiter.js";
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

/** Open a delimited text export: encoding and delimiter are detected, rows are streamed. */
export async function openCsvTable(path: string, file: string, logger: Logger): Promise<Table> {
  const detected = await detectEncoding(path, file, logger);
  const sample = await readSample(path, detected);
  const delimiter = detectDelimiter(sample, file);
  logger.debug({ file, delimiter }, "delimiter chosen");
  let headers: string[] | undefined;

  /** Records in batches: one promise per batch of parsed records, not one per record. */
  async function* recordBatches(): AsyncGenerator<{ line: number; record: string[] }[]> {
    // Line numbers are counted here rather than with csv-parse's `info`, which costs more than
    // the parsing itself: a record starts one line after the previous one ended, and ends as
    // many lines later as its quoted fields hold line breaks. Empty lines come through as a
    // record with one empty field and are skipped here.
    const parser = parse({
      delimiter,
      relax_column_count: true,
      relax_quotes: true,
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
        const batch: { line: number; record: string[] }[] = [];
        let record: string[] | null;
        while ((record = parser.read() as string[] | null) !== null) {
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
          batch.push({ line, record });
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
      if (error instanceof SnapshotFileError) {
        throw error;
      }
      const where = (error as { lines?: number }).lines;
      throw new SnapshotFileError(
        file,
        `cannot be parsed as CSV${where ? ` at line ${where}` : ""}: ${(error as Error).message}`,
        { cause: error },
      );
    } finally {
      source.destroy();
      parser.destroy();
    }
  }

  const headerIterator = recordBatches();
  const first = await headerIterator.next();
  await headerIterator.return(undefined);
  const headerRecord = first.done ? undefined : first.value[0];
  if (!headerRecord) {
    throw new SnapshotFileError(file, "is empty (no header line)");
  }
  headers = headerRecord.record.map((header) => header.trim());

  async function* rowBatches(): AsyncGenerator<TableRow[]> {
    const expected = headers?.length ?? 0;
    let isHeader = true;
    for await (const records of recordBatches()) {
      const rows: TableRow[] = [];
      for (const { line, record } of records) {
        if (isHeader) {
          isHeader = false;
          continue;
        }
        const row: TableRow = { line, cells: record.map(cellValue) };
        if (record.length !== expected) {
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
