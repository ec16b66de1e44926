import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ExcelJS from "exceljs";
import JSZip from "jszip";
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { readExportUserIds } from "../bridge/src/netmera/export-users.js";
import { openTable, type Table } from "../bridge/src/snapshot/table.js";
import { columnLetters } from "../bridge/src/snapshot/xlsx-table.js";

const dir = mkdtempSync(join(tmpdir(), "reader-damage-xlsx-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function rows(table: Table) {
  const result: { line: number; cells: (string | undefined)[]; problem?: string }[] = [];
  for await (const row of table.rows()) {
    result.push(row);
  }
  return result;
}

/** Parts in the order Excel writes them: the worksheet before the shared strings. */
const EXCEL_ORDER = [
  "[Content_Types].xml",
  "_rels/.rels",
  "xl/_rels/workbook.xml.rels",
  "xl/worksheets/sheet1.xml",
  "xl/sharedStrings.xml",
  "xl/styles.xml",
];

/**
 * Rebuild an ExcelJS workbook with its entries in `order` (the rest after them), stored without
 * compression; `drop` leaves entries out.
 */
async function rebuild(
  workbook: ExcelJS.Workbook,
  name: string,
  order: string[],
  drop: string[] = [],
): Promise<string> {
  const written = await JSZip.loadAsync(Buffer.from(await workbook.xlsx.writeBuffer()));
  const names = Object.keys(written.files).filter((entry) => !written.files[entry]!.dir);
  const rebuilt = new JSZip();
  const rest = names.filter((entry) => !order.includes(entry));
  for (const entry of [...order, ...rest]) {
    if (!drop.includes(entry)) {
      rebuilt.file(entry, await written.file(entry)!.async("uint8array"));
    }
  }
  const path = join(dir, name);
  writeFileSync(path, await rebuilt.generateAsync({ type: "nodebuffer", compression: "STORE" }));
  return path;
}

function usersWorkbook(): ExcelJS.Workbook {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet("Users");
  sheet.addRow(["External ID", "Email", "City"]);
  sheet.addRow(["u1", "u1@example.com", "İzmir"]);
  sheet.addRow(["u2", "u2@example.com", "Muğla"]);
  return workbook;
}

describe("XLSX shared strings stored after the worksheet", () => {
  it("reads the strings on every read", async () => {
    const path = await rebuild(usersWorkbook(), "excel-order.xlsx", EXCEL_ORDER);
    // ExcelJS alone lost the strings on about half of the reads of such a file, depending on
    // the timing of its temporary copy of the worksheet. Eight reads make a lucky pass rare.
    for (let attempt = 0; attempt < 8; attempt += 1) {
      const table = await openTable(path, "users/excel.xlsx", silentLogger);
      expect(table.headers).toEqual(["External ID", "Email", "City"]);
      expect(table.format).toEqual({ kind: "xlsx", sheet: "Users" });
      expect(await rows(table)).toEqual([
        { line: 2, cells: ["u1", "u1@example.com", "İzmir"] },
        { line: 3, cells: ["u2", "u2@example.com", "Muğla"] },
      ]);
    }
  });

  it("reads the extIds in pull", async () => {
    const path = await rebuild(usersWorkbook(), "pull-order.xlsx", EXCEL_ORDER);
    for (let attempt = 0; attempt < 8; attempt += 1) {
      const ids: string[] = [];
      const summary = await readExportUserIds(path, "export.xlsx", (id) => ids.push(id));
      expect(ids).toEqual(["u1", "u2"]);
      expect(summary).toEqual({
        file: "export.xlsx",
        rows: 2,
        rowsWithoutExtId: 0,
        hasExtIdColumn: true,
      });
    }
  });

  it("names sheet and cell without strings", async () => {
    const path = await rebuild(usersWorkbook(), "no-strings.xlsx", EXCEL_ORDER, [
      "xl/sharedStrings.xml",
    ]);
    await expect(openTable(path, "users/broken.xlsx", silentLogger)).rejects.toThrow(
      'users/broken.xlsx: worksheet "Users", cell A1: refers to shared string 0, but the ' +
        "workbook's shared-string table (xl/sharedStrings.xml) could not be read; open the " +
        "file in Excel or LibreOffice and save it again as .xlsx, or export it as CSV",
    );
    await expect(readExportUserIds(path, "export.xlsx", () => undefined)).rejects.toThrow(
      'export.xlsx: worksheet "Users", cell A1: refers to shared string 0',
    );
  });

  it.runIf(existsSync("/proc/self/fd"))("closes the file after a partial read", async () => {
    // Large enough that the zip is still being read when the reader stops.
    const workbook = usersWorkbook();
    for (let index = 3; index < 5_000; index += 1) {
      workbook.getWorksheet("Users")?.addRow([`u${index}`, `u${index}@example.com`, "Bursa"]);
    }
    const path = await rebuild(workbook, "partial.xlsx", EXCEL_ORDER);
    const openFiles = () => readdirSync("/proc/self/fd").length;
    const before = openFiles();
    for (let attempt = 0; attempt < 10; attempt += 1) {
      // Opening reads up to the header and stops; the rows stop after the first one.
      const table = await openTable(path, "users/partial.xlsx", silentLogger);
      for await (const row of table.rows()) {
        expect(row.line).toBe(2);
        break;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Two files stayed open per table before; a few may belong to the test runner.
    expect(openFiles() - before).toBeLessThan(5);
  });

  it("spells column numbers as Excel letters", () => {
    expect([1, 2, 26, 27, 28, 52, 703].map(columnLetters)).toEqual([
      "A",
      "B",
      "Z",
      "AA",
      "AB",
      "AZ",
      "AAA",
    ]);
  });
});
