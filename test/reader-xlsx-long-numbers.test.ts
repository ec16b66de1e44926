import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ExcelJS from "exceljs";
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { openTable, type TableRow } from "../bridge/src/snapshot/table.js";

const work = mkdtempSync(join(tmpdir(), "xlsx-long-numbers-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function readRows(rows: unknown[][]): Promise<TableRow[]> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet("Users");
  sheet.addRow(["External ID", "Name"]);
  for (const row of rows) sheet.addRow(row);
  const path = join(work, `users-${rows.length}.xlsx`);
  await workbook.xlsx.writeFile(path);
  const table = await openTable(path, "users/export.xlsx", silentLogger);
  const read: TableRow[] = [];
  for await (const batch of table.rowBatches()) read.push(...batch);
  return read;
}

describe("numbers in an XLSX export", () => {
  it("reject a row whose number is longer than Excel keeps", async () => {
    const read = await readRows([[Number("12345678901234567890"), "Ali"]]);
    expect(read[0]?.problem).toBe(
      'column 1 ("External ID") holds the number 12345678901234567000, longer than the 15 ' +
        "digits Excel keeps, so its last digits are lost; store the column as text in the export",
    );
  });

  it("keep numbers up to 2^53 and text ids of any length", async () => {
    const read = await readRows([
      [9007199254740991, "Ayşe"],
      ["12345678901234567890", "Veli"],
    ]);
    expect(read.map((row) => [row.cells[0], row.problem])).toEqual([
      ["9007199254740991", undefined],
      ["12345678901234567890", undefined],
    ]);
  });
});
