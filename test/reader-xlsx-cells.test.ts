import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ExcelJS from "exceljs";
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { openTable } from "../bridge/src/snapshot/table.js";
import { xlsxCellText } from "../bridge/src/snapshot/xlsx-table.js";

const dir = mkdtempSync(join(tmpdir(), "reader-xlsx-cells-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("XLSX error and formula cells", () => {
  it("reads an error as its code", () => {
    expect(xlsxCellText({ error: "#N/A" })).toBe("#N/A");
  });

  it("keeps formula results", () => {
    expect(xlsxCellText({ formula: "1+1", result: 2 })).toBe("2");
    expect(xlsxCellText({ sharedFormula: "C2", result: "x" })).toBe("x");
  });

  it("reads no text for a formula without result", () => {
    expect(xlsxCellText({ formula: "A1&B1" })).toBeUndefined();
  });

  it("rejects a row with an unknown formula value", async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet("Users");
    sheet.addRow(["External ID", "Email", "Points"]);
    sheet.addRow(["u1", { error: "#N/A" }, { formula: "40+2", result: 42 }]);
    sheet.addRow(["u2", "u2@example.com", { formula: "1/0", result: { error: "#DIV/0!" } }]);
    sheet.addRow(["u3", "u3@example.com", { formula: "B4&B3" }]);
    const path = join(dir, "errors.xlsx");
    writeFileSync(path, Buffer.from(await workbook.xlsx.writeBuffer()));

    const table = await openTable(path, "users/errors.xlsx", silentLogger);
    const rows: { line: number; cells: (string | undefined)[]; problem?: string }[] = [];
    for await (const row of table.rows()) {
      rows.push({ line: row.line, cells: row.cells, problem: row.problem });
    }
    const unknown = (formula: string) =>
      `column 3 ("Points") contains the formula =${formula} without a stored result (not ` +
      "computed, or an error such as #DIV/0!), so its value is unknown; open the workbook in " +
      "Excel or LibreOffice, save it again, or export it as CSV";
    expect(rows).toEqual([
      { line: 2, cells: ["u1", "#N/A", "42"], problem: undefined },
      { line: 3, cells: ["u2", "u2@example.com", undefined], problem: unknown("1/0") },
      { line: 4, cells: ["u3", "u3@example.com", undefined], problem: unknown("B4&B3") },
    ]);
  });
});
