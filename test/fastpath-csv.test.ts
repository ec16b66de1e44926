import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { openCsvTable } from "../bridge/src/snapshot/csv-table.js";
import { cellValue } from "../bridge/src/snapshot/table.js";

/** Park–Miller generator: the same seed gives the same files on every run. */
function generator(seed: number): (limit: number) => number {
  let state = seed;
  return (limit) => {
    state = (state * 48271) % 2147483647;
    return state % limit;
  };
}

const DELIMITERS = [",", ";", "|", "\t"] as const;
const PLAIN = ["abc", "", "x y", "null", "NULL", "Çağrı", "12.5", "İstanbul", " pad "];

function quoted(random: (limit: number) => number, delimiter: string): string {
  const inner = [
    `a${delimiter}b`,
    'say ""hi""',
    "line one\nline two",
    "line one\r\nline two",
    "",
    `""${delimiter}\n""`,
    "null",
  ];
  return `"${inner[random(inner.length)]}"`;
}

interface Sample {
  text: string;
  delimiter: string;
}

function sample(random: (limit: number) => number): Sample {
  const delimiter = DELIMITERS[random(DELIMITERS.length)] ?? ",";
  // A quarter of the files mix LF and CRLF, line by line.
  const mixed = random(4) === 0;
  const ending = random(2) === 0 ? "\n" : "\r\n";
  const lines = [["externalId", "name", "note"].join(delimiter)];
  const rows = 1 + random(12);
  for (let row = 0; row < rows; row += 1) {
    // Mostly three fields, as the header has; sometimes one too few or too many.
    const count = [3, 3, 3, 3, 3, 2, 4][random(7)] ?? 3;
    const fields: string[] = [];
    for (let field = 0; field < count; field += 1) {
      fields.push(
        random(3) === 0 ? quoted(random, delimiter) : (PLAIN[random(PLAIN.length)] ?? ""),
      );
    }
    lines.push(fields.join(delimiter));
    if (random(15) === 0) {
      lines.push("");
    }
  }
  const bom = random(4) === 0 ? "\uFEFF" : "";
  const trailing = random(2) === 0 ? ending : "";
  const body = mixed
    ? lines.map((line, at) => (at === 0 ? line : (random(2) === 0 ? "\n" : "\r\n") + line)).join("")
    : lines.join(ending);
  return { text: bom + body + trailing, delimiter };
}

interface Row {
  line: number;
  cells: (string | undefined)[];
  problem: boolean;
}

/**
 * Rows as csv-parse reads the file on its own. A record's line is one more than the line
 * breaks in the bytes before it, taken from csv-parse's byte offsets rather than from fields.
 */
function expectedRows(bytes: Buffer, delimiter: string): { headers: string[]; rows: Row[] } {
  const records = parse(bytes, {
    bom: true,
    delimiter,
    record_delimiter: ["\r\n", "\n"],
    relax_column_count: true,
    relax_quotes: true,
    info: true,
  }) as unknown as { record: string[]; info: { bytes: number } }[];
  const bomLength = bytes[0] === 0xef ? 3 : 0;
  let start = bomLength;
  let line = 1;
  const found: { line: number; record: string[] }[] = [];
  for (const { record, info } of records) {
    const recordLine = line;
    for (let index = start; index < info.bytes; index += 1) {
      if (bytes[index] === 0x0a) {
        line += 1;
      }
    }
    start = info.bytes;
    if (!(record.length === 1 && record[0] === "")) {
      found.push({ line: recordLine, record });
    }
  }
  const [header, ...body] = found;
  const headers = (header?.record ?? []).map((name) => name.trim());
  return {
    headers,
    rows: body.map(({ line, record }) => {
      // The reader drops empty fields after the last named column (trailing delimiters).
      const extra = record.slice(headers.length);
      const fields =
        extra.length > 0 && extra.every((cell) => cell.trim() === "")
          ? record.slice(0, headers.length)
          : record;
      return { line, cells: fields.map(cellValue), problem: fields.length !== headers.length };
    }),
  };
}

async function readerRows(path: string): Promise<{ headers: string[]; rows: Row[] }> {
  const table = await openCsvTable(path, "users.csv", silentLogger);
  const rows: Row[] = [];
  for await (const batch of table.rowBatches()) {
    for (const row of batch) {
      rows.push({ line: row.line, cells: row.cells, problem: row.problem !== undefined });
    }
  }
  return { headers: table.headers, rows };
}

const directory = mkdtempSync(join(tmpdir(), "fastpath-csv-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe("CSV table reader", () => {
  it("reads generated files exactly as csv-parse does", async () => {
    const random = generator(7919);
    let multiLine = 0;
    for (let index = 0; index < 400; index += 1) {
      const { text, delimiter } = sample(random);
      const path = join(directory, `sample-${index}.csv`);
      writeFileSync(path, text);
      const table = await openCsvTable(path, "users.csv", silentLogger);
      expect({ text, format: table.format }).toEqual({
        text,
        format: { kind: "csv", encoding: "utf-8", delimiter },
      });
      const expected = expectedRows(Buffer.from(text, "utf8"), delimiter);
      expect({ text, ...(await readerRows(path)) }).toEqual({ text, ...expected });
      if (
        expected.rows.some((row, at) => at > 0 && row.line > (expected.rows[at - 1]?.line ?? 0) + 1)
      ) {
        multiLine += 1;
      }
    }
    // Records spanning lines must occur, or the line numbers were never really checked.
    expect(multiLine).toBeGreaterThan(50);
  });

  it("reads a large file across chunk boundaries as csv-parse does", async () => {
    const lines = ["externalId,name,note"];
    for (let row = 0; row < 30_000; row += 1) {
      lines.push(
        row % 7 === 0
          ? `E${row},"Ad ""${row}""","iki\nsatır"`
          : `E${row},Ad ${row},çok güzel ${row}`,
      );
    }
    for (const ending of ["\n", "\r\n"]) {
      const text = lines.join(ending) + ending;
      const path = join(directory, "large.csv");
      writeFileSync(path, text);
      const actual = await readerRows(path);
      expect(actual.rows).toHaveLength(30_000);
      expect(actual).toEqual(expectedRows(Buffer.from(text, "utf8"), ","));
      expect(actual.rows[7]).toEqual({
        // The header is line 1 and E0 takes lines 2 and 3, so E7 starts on line 10.
        line: 10,
        cells: ["E7", 'Ad "7"', "iki\nsatır"],
        problem: false,
      });
    }
  });

  it("reads a file that mixes CRLF and LF as one record a line", async () => {
    const path = join(directory, "mixed.csv");
    writeFileSync(
      path,
      "externalId,name,email\r\nE1,One,e1@example.com\r\nE2,Two,e2@example.com\nE3,Three,e3@example.com\nE4,Four,e4@example.com\r\n",
    );
    expect(await readerRows(path)).toEqual({
      headers: ["externalId", "name", "email"],
      rows: [
        { line: 2, cells: ["E1", "One", "e1@example.com"], problem: false },
        { line: 3, cells: ["E2", "Two", "e2@example.com"], problem: false },
        { line: 4, cells: ["E3", "Three", "e3@example.com"], problem: false },
        { line: 5, cells: ["E4", "Four", "e4@example.com"], problem: false },
      ],
    });
  });

  it("reads mixed endings the same way when csv-parse takes over", async () => {
    // The text after the closing quote hands the file to csv-parse.
    const path = join(directory, "mixed-relaxed.csv");
    writeFileSync(path, 'externalId,name\nE1,One\r\nE2,"Two" x\nE3,Three\r\n');
    expect(await readerRows(path)).toEqual({
      headers: ["externalId", "name"],
      rows: [
        { line: 2, cells: ["E1", "One"], problem: false },
        { line: 3, cells: ["E2", '"Two" x'], problem: false },
        { line: 4, cells: ["E3", "Three"], problem: false },
      ],
    });
  });
});
