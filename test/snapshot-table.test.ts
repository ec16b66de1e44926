import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ExcelJS from "exceljs";
import iconv from "iconv-lite";
import JSZip from "jszip";
import { afterAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { silentLogger } from "../bridge/src/core/log.js";
import { detectEncoding } from "../bridge/src/snapshot/encoding.js";
import { openTable, type Table } from "../bridge/src/snapshot/table.js";

const dir = mkdtempSync(join(tmpdir(), "reader-table-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
function file(bytes: Buffer | string, extension = "csv"): string {
  counter += 1;
  const path = join(dir, `file-${counter}.${extension}`);
  writeFileSync(path, bytes);
  return path;
}

async function rows(table: Table) {
  const result: { line: number; cells: (string | undefined)[]; problem?: string }[] = [];
  for await (const row of table.rows()) {
    result.push(row);
  }
  return result;
}

const TURKISH = "External ID;Ad;Şehir\nayşe.k;Ayşe;İstanbul\nçağrı/42;Çağrı;Muğla\n";

describe("encodings", () => {
  it.each([
    ["UTF-8 without BOM", Buffer.from(TURKISH, "utf8"), "utf-8"],
    [
      "UTF-8 with BOM",
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TURKISH, "utf8")]),
      "utf-8",
    ],
    [
      "UTF-16 LE with BOM",
      Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(TURKISH, "utf16le")]),
      "utf-16le",
    ],
    [
      "UTF-16 BE with BOM",
      Buffer.concat([Buffer.from([0xfe, 0xff]), iconv.encode(TURKISH, "utf16be")]),
      "utf-16be",
    ],
    ["Windows-1254", iconv.encode(TURKISH, "win1254"), "windows-1254"],
  ])("reads %s", async (_name, bytes, encoding) => {
    const table = await openTable(file(bytes), "users/x.csv", silentLogger);
    expect(table.format).toEqual({ kind: "csv", encoding, delimiter: ";" });
    expect(table.headers).toEqual(["External ID", "Ad", "Şehir"]);
    expect(await rows(table)).toEqual([
      { line: 2, cells: ["ayşe.k", "Ayşe", "İstanbul"] },
      { line: 3, cells: ["çağrı/42", "Çağrı", "Muğla"] },
    ]);
  });

  it("decides by the first non-ASCII bytes even far into the file", async () => {
    const ascii = "extId,name\n" + "a,b\n".repeat(40_000);
    const path = file(Buffer.concat([Buffer.from(ascii), iconv.encode("c,Işık\n", "win1254")]));
    const detected = await detectEncoding(path, "late.csv", silentLogger);
    expect(detected.encoding).toBe("windows-1254");
    const table = await openTable(path, "late.csv", silentLogger);
    const all = await rows(table);
    expect(all[all.length - 1]).toEqual({ line: 40_002, cells: ["c", "Işık"] });
  });

  it("logs the chosen encoding at debug level", async () => {
    const lines: string[] = [];
    const { createLogger } = await import("../bridge/src/core/log.js");
    const logger = createLogger({
      level: "debug",
      destination: {
        write: (line: string) => lines.push(line),
      } as unknown as NodeJS.WritableStream,
    });
    await detectEncoding(file(iconv.encode(TURKISH, "win1254")), "users/tr.csv", logger);
    const entry = JSON.parse(lines.find((line) => line.includes("encoding chosen")) ?? "{}");
    expect(entry.encoding).toBe("windows-1254");
    expect(entry.file).toBe("users/tr.csv");
    expect(entry.reason).toBe("first non-ASCII bytes are not valid UTF-8");
  });

  it("fails on invalid UTF-8 after valid UTF-8 with the byte offset", async () => {
    const big = "extId,name\nx,Ayşe\n" + "a,b\n".repeat(100_000);
    const path = file(Buffer.concat([Buffer.from(big), Buffer.from([0xff, 0x0a])]));
    const table = await openTable(path, "mixed.csv", silentLogger);
    await expect(rows(table)).rejects.toThrow(
      /mixed\.csv: invalid UTF-8 at byte offset 400019 \(line 100003, column 1\): "\\xff"/,
    );
  });
});

describe("delimiters", () => {
  it.each([",", ";", "|", "~", "^", "\t"])("detects %j", async (delimiter) => {
    const text =
      ["extId", "email", "city"].join(delimiter) +
      "\n" +
      ["u1", "a@b.co", "Van"].join(delimiter) +
      "\n";
    const table = await openTable(file(text), "d.csv", silentLogger);
    expect(table.format).toMatchObject({ delimiter });
    expect(await rows(table)).toEqual([{ line: 2, cells: ["u1", "a@b.co", "Van"] }]);
  });

  it("ignores delimiters inside quoted headers", async () => {
    const text = '"Name; Surname",extId\n"Ayşe; K",u1\n';
    const table = await openTable(file(text), "q.csv", silentLogger);
    expect(table.format).toMatchObject({ delimiter: "," });
    expect(table.headers).toEqual(["Name; Surname", "extId"]);
  });

  it("lets the data lines decide between two header candidates", async () => {
    const text = "a,b;c\n1,2;3\n4,5;6\n7,8;9,0\n";
    // Only ";" gives every line the header's field count (1 separator per line).
    const table = await openTable(file(text), "two.csv", silentLogger);
    expect(table.format).toMatchObject({ delimiter: ";" });
  });

  it("rejects an ambiguous header with a clear message", async () => {
    await expect(openTable(file("a,b;c\n"), "users/amb.csv", silentLogger)).rejects.toThrow(
      'users/amb.csv: cannot tell the delimiter: the header line contains "," ×1, ";" ×1 and there are no data lines to decide; quote header names that contain a delimiter character',
    );
  });
});

describe("cells and rows", () => {
  it("treats empty cells and null as no value", async () => {
    const table = await openTable(
      file("extId,email,city\nu1,null,\nu2,NULL, \n"),
      "n.csv",
      silentLogger,
    );
    expect(await rows(table)).toEqual([
      { line: 2, cells: ["u1", undefined, undefined] },
      { line: 3, cells: ["u2", undefined, undefined] },
    ]);
  });

  it("reports the first line of multi-line records and skips empty lines", async () => {
    const table = await openTable(
      file('extId,note\nu1,"two\nlines"\n\nu2,x\n'),
      "m.csv",
      silentLogger,
    );
    expect(await rows(table)).toEqual([
      { line: 2, cells: ["u1", "two\nlines"] },
      { line: 5, cells: ["u2", "x"] },
    ]);
  });

  it("marks rows whose field count differs from the header", async () => {
    const table = await openTable(file("extId,email\nu1,a@b.co,extra\n"), "c.csv", silentLogger);
    expect(await rows(table)).toEqual([
      { line: 2, cells: ["u1", "a@b.co", "extra"], problem: "has 3 fields, the header has 2" },
    ]);
  });

  it("reads XLSX with ExcelJS streaming", async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet("Users");
    sheet.addRow(["External ID", "Email", "Birth", "Points", "Note"]);
    sheet.addRow(["Ayşe.K", "a@b.co", new Date(Date.UTC(1990, 4, 3)), 120, "null"]);
    sheet.addRow(["ayse.k", null, "03.05.1990", 7.5, "ok"]);
    const path = join(dir, "users.xlsx");
    writeFileSync(path, Buffer.from(await workbook.xlsx.writeBuffer()));
    const table = await openTable(path, "users/u.xlsx", silentLogger);
    expect(table.format).toEqual({ kind: "xlsx", sheet: "Users" });
    expect(table.headers).toEqual(["External ID", "Email", "Birth", "Points", "Note"]);
    expect(await rows(table)).toEqual([
      { line: 2, cells: ["Ayşe.K", "a@b.co", "1990-05-03", "120", undefined] },
      { line: 3, cells: ["ayse.k", undefined, "03.05.1990", "7.5", "ok"] },
    ]);
  });

  it("reads an XLSX whose workbook entry comes last in the zip", async () => {
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet("Users").addRow(["External ID", "Email"]);
    workbook.getWorksheet("Users")?.addRow(["u1", "u1@example.com"]);
    const written = await JSZip.loadAsync(Buffer.from(await workbook.xlsx.writeBuffer()));
    const names = Object.keys(written.files).filter((name) => !written.files[name]!.dir);
    // Shared strings and relations before the worksheet, the workbook last.
    const first = ["[Content_Types].xml", "_rels/.rels", "xl/_rels/workbook.xml.rels"];
    const early = [...first, "xl/sharedStrings.xml", "xl/styles.xml"];
    const last = "xl/workbook.xml";
    const middle = names.filter((entry) => !early.includes(entry) && entry !== last);
    const reordered = new JSZip();
    for (const name of [...early, ...middle, last]) {
      reordered.file(name, await written.file(name)!.async("uint8array"));
    }
    const path = join(dir, "workbook-last.xlsx");
    writeFileSync(path, await reordered.generateAsync({ type: "nodebuffer" }));

    const table = await openTable(path, "users/last.xlsx", silentLogger);
    expect(table.headers).toEqual(["External ID", "Email"]);
    expect(await rows(table)).toEqual([{ line: 2, cells: ["u1", "u1@example.com"] }]);
  });

  it("rejects an XLSX whose second worksheet holds rows", async () => {
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet("Kullanıcılar").addRow(["externalId", "email"]).commit();
    workbook.getWorksheet("Kullanıcılar")?.addRow(["u1", "u1@example.com"]);
    const second = workbook.addWorksheet("Sheet2");
    second.addRow(["externalId", "email"]);
    second.addRow(["y1", "y1@example.com"]);
    workbook.addWorksheet("Empty");
    const path = join(dir, "two-sheets.xlsx");
    writeFileSync(path, Buffer.from(await workbook.xlsx.writeBuffer()));
    const table = await openTable(path, "users/two.xlsx", silentLogger);
    await expect(rows(table)).rejects.toThrow(
      'users/two.xlsx: worksheet "Sheet2" contains data (row 1), but only the first worksheet ' +
        '("Kullanıcılar") is read; save each worksheet as a file of its own',
    );
  });

  it("reads an XLSX whose later worksheets are empty", async () => {
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet("Users").addRow(["externalId"]);
    workbook.getWorksheet("Users")?.addRow(["u1"]);
    workbook.addWorksheet("Notes");
    const path = join(dir, "empty-second.xlsx");
    writeFileSync(path, Buffer.from(await workbook.xlsx.writeBuffer()));
    const table = await openTable(path, "users/one.xlsx", silentLogger);
    expect(await rows(table)).toEqual([{ line: 2, cells: ["u1"] }]);
  });
});
