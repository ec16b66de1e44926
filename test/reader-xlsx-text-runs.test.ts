import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ExcelJS from "exceljs";
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { openTable } from "../bridge/src/snapshot/table.js";
import { MAX_XML_TEXT_BYTES, TextRunGuard } from "../bridge/src/snapshot/xlsx-text-runs.js";

const dir = mkdtempSync(join(tmpdir(), "reader-xlsx-text-runs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function workbookWith(name: string, note: string): Promise<string> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet("Users");
  sheet.addRow(["External ID", "Note"]);
  sheet.addRow(["u1", "short"]);
  sheet.addRow(["u2", note]);
  sheet.addRow(["u3", "fine"]);
  const path = join(dir, name);
  writeFileSync(path, Buffer.from(await workbook.xlsx.writeBuffer()));
  return path;
}

async function readAll(path: string, file: string) {
  const table = await openTable(path, file, silentLogger);
  const lines: number[] = [];
  for await (const row of table.rows()) lines.push(row.line);
  return lines;
}

describe("text without markup in a workbook", () => {
  it("rejects a 1,500,000-character cell", async () => {
    const path = await workbookWith("huge.xlsx", "n".repeat(1_500_000));
    await expect(readAll(path, "users/huge.xlsx")).rejects.toThrow(
      /^users\/huge\.xlsx: xl\/sharedStrings\.xml contains more than 1,048,576 bytes of text without markup, from byte \d+ of that part: .*Export the data as CSV/,
    );
  });

  it("reads a 200,000-character cell", async () => {
    // 200,000 characters: a rejected row (cell-limits.ts), not a rejected file.
    const path = await workbookWith("long.xlsx", "n".repeat(200_000));
    expect(await readAll(path, "users/long.xlsx")).toEqual([2, 3, 4]);
  });
});

describe("TextRunGuard", () => {
  it("finds a stretch across chunks", () => {
    const guard = new TextRunGuard(10);
    expect(guard.feed(Buffer.from("<a>12345"))).toBe(-1);
    expect(guard.feed(Buffer.from("6789"))).toBe(-1);
    // 12345678901 is 11 bytes after the ">" at offset 2.
    expect(guard.feed(Buffer.from("01</a>"))).toBe(3);
  });

  it("restarts at markup inside chunks", () => {
    const guard = new TextRunGuard(4);
    expect(guard.feed(Buffer.from("<b>1234</b><c>1234<"))).toBe(-1);
    expect(guard.feed(Buffer.from("x>12345"))).toBe(21);
  });

  it("passes exactly the limit", () => {
    const guard = new TextRunGuard(5);
    expect(guard.feed(Buffer.from(">123"))).toBe(-1);
    expect(guard.feed(Buffer.from("45<"))).toBe(-1);
    expect(guard.feed(Buffer.from("12345"))).toBe(-1);
    expect(guard.feed(Buffer.from("6"))).toBe(7);
  });

  it("limits stretches to 1 MiB", () => {
    expect(MAX_XML_TEXT_BYTES).toBe(1_048_576);
  });
});
