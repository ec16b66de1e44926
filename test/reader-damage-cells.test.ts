import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { readExportUserIds } from "../bridge/src/netmera/export-users.js";
import { OverlongRecordSkipper } from "../bridge/src/snapshot/csv-overlong.js";
import { openTable, type Table, type TableRow } from "../bridge/src/snapshot/table.js";
import { writeFiles } from "./input-support.js";
import { runCli } from "./support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "reader-damage-cells-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
function file(text: string, extension = "csv"): string {
  counter += 1;
  const path = join(dir, `file-${counter}.${extension}`);
  writeFileSync(path, text);
  return path;
}

async function rows(table: Table): Promise<TableRow[]> {
  const result: TableRow[] = [];
  for await (const row of table.rows()) {
    result.push(row);
  }
  return result;
}

const A32 = "a".repeat(32);

describe("over-long CSV cells", () => {
  it("quarantines a 100,000-character cell", async () => {
    const path = file(`extId,note,city\nu1,${"a".repeat(100_000)},İzmir\nu2,ok,Muğla\n`);
    const table = await openTable(path, "users/long.csv", silentLogger);
    expect(await rows(table)).toEqual([
      {
        line: 2,
        cells: ["u1", `${A32}…`, "İzmir"],
        problem: 'column 2 ("note") holds 100,000 characters, more than the 65,536 a cell may hold',
        tooLong: { column: 1, length: 100_000 },
      },
      { line: 3, cells: ["u2", "ok", "Muğla"] },
    ]);
  });

  it("measures a quoted cell by its text, without quotes", async () => {
    // 40,000 escaped quotes are 80,000 characters in the file and 40,000 in the cell, so the
    // cell contains 60,000 characters.
    const quoted = `"${'""'.repeat(40_000)}${"q".repeat(20_000)}"`;
    const path = file(`extId,note\nu1,${quoted}\nu2,"${"r".repeat(66_000)}"\n`);
    const table = await openTable(path, "users/quoted.csv", silentLogger);
    const read = await rows(table);
    expect(read.map((row) => [row.line, row.problem])).toEqual([
      [2, undefined],
      [3, 'column 2 ("note") holds 66,000 characters, more than the 65,536 a cell may hold'],
    ]);
    expect(read[0]?.cells[1]?.length).toBe(60_000);
  });

  it("skips a 3,000,000-character quoted cell", async () => {
    // 3,000,000 characters over 300,000 lines inside one quoted cell.
    const cell = "abcdefghi\n".repeat(300_000);
    const path = file(`extId,bio\nu1,ok\nu2,"${cell}"\nu3,"after ""quoted"""\nu4,last\n`);
    const table = await openTable(path, "users/huge.csv", silentLogger);
    expect(await rows(table)).toEqual([
      { line: 2, cells: ["u1", "ok"] },
      {
        line: 3,
        cells: ["u2", "abcdefghi\nabcdefghi\nabcdefghi\nab…"],
        problem:
          'column 2 ("bio") holds 3,000,000 characters, more than the 65,536 a cell may hold',
        tooLong: { column: 1, length: 3_000_000 },
      },
      { line: 300_004, cells: ["u3", 'after "quoted"'] },
      { line: 300_005, cells: ["u4", "last"] },
    ]);
  });

  it("quarantines a row over 1 MiB", async () => {
    const cells = Array.from({ length: 20 }, () => "b".repeat(60_000));
    const headers = Array.from({ length: 20 }, (_, i) => `c${i}`);
    const path = file(`${headers.join(";")}\n${cells.join(";")}\nx${";".repeat(19)}\n`);
    const table = await openTable(path, "users/wide.csv", silentLogger);
    const read = await rows(table);
    expect(read.map((row) => [row.line, row.problem, row.tooLong])).toEqual([
      [
        2,
        "the row holds 1,200,019 characters, more than the 1,048,576 a row may hold",
        { column: -1, length: 1_200_019 },
      ],
      [3, undefined, undefined],
    ]);
    expect(read[0]?.cells[7]).toBe(`${"b".repeat(32)}…`);
  });

  it("stops csv-parse past 3 MiB", async () => {
    // The text after a closing quote in line 2 hands the file to csv-parse, which cannot skip
    // a record.
    const path = file(`extId,note\nu1,"a"b\nu2,${"c".repeat(3_200_000)}\nu3,ok\n`);
    const table = await openTable(path, "users/cr.csv", silentLogger);
    await expect(rows(table)).rejects.toThrow(
      'users/cr.csv: line 3, column 2 ("note"): the row runs past 3,145,728 bytes and is not ' +
        "a row an export writes; a quote left open or a damaged export does this. Repair the " +
        "row or export the file again",
    );
  });

  it("quarantines a long cell in csv-parse", async () => {
    const path = file(`extId,note\nu1,"a"b\nu2,${"c".repeat(70_000)}\nu3,ok\n`);
    const table = await openTable(path, "users/cr-long.csv", silentLogger);
    const read = await rows(table);
    expect(read.map((row) => [row.line, row.problem])).toEqual([
      [2, undefined],
      [3, 'column 2 ("note") holds 70,000 characters, more than the 65,536 a cell may hold'],
      [4, undefined],
    ]);
  });

  it.each([
    ["streamed past", 2_000_000],
    ["held whole", 100_000],
  ])("rejects a first line past the limits as not a header (%s)", async (_how, length) => {
    const path = file(`${"h".repeat(length)}\nu1\n`);
    await expect(openTable(path, "users/nohead.csv", silentLogger)).rejects.toThrow(
      "users/nohead.csv: line 1: the header runs past 1,048,576 characters or has a name past " +
        "the cell limit, so this is not a CSV export (or its first line is damaged)",
    );
  });
});

describe("over-long rows in the pull step's export reader", () => {
  it("stops at a row past 3 MiB", async () => {
    const path = file(`External ID,note\nu1,ok\nu2,"${"w".repeat(3_200_000)}"\n`);
    await expect(readExportUserIds(path, "export.csv", () => undefined)).rejects.toThrow(
      "export.csv: line 3, column 2: the row runs past 3,145,728 bytes; a quote left open or " +
        "a damaged export does this. Repair the row or export the file again",
    );
  });
});

describe("OverlongRecordSkipper", () => {
  it("finds the end across pieces", () => {
    const skipper = new OverlongRecordSkipper(",");
    expect(skipper.feed('u1,"x\r\n""y', false)).toBe(-1);
    expect(skipper.feed('"', false)).toBe(-1);
    expect(skipper.feed('"",plain\r', false)).toBe(-1);
    expect(skipper.feed("\nnext,row\n", false)).toBe(1);
    expect(skipper.cells).toEqual(["u1", 'x\r\n"y"', "plain"]);
    expect(skipper.lineFeeds).toBe(1);
    expect(skipper.handOver).toBe(false);
  });

  it("hands over like the fast reader", () => {
    const afterQuote = new OverlongRecordSkipper(",");
    expect(afterQuote.feed('"a"b,c\n', false)).toBe(-1);
    expect(afterQuote.handOver).toBe(true);
    const unclosed = new OverlongRecordSkipper(",");
    expect(unclosed.feed('u1,"open', true)).toBe(-1);
    expect(unclosed.handOver).toBe(true);
  });
});

describe("over-long XLSX cells", () => {
  it("quarantines a row whose cell is over 64 KiB", async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet("Users");
    sheet.addRow(["External ID", "Note"]);
    sheet.addRow(["u1", "n".repeat(70_000)]);
    sheet.addRow(["u2", "ok"]);
    const path = join(dir, "long.xlsx");
    writeFileSync(path, Buffer.from(await workbook.xlsx.writeBuffer()));
    const table = await openTable(path, "users/long.xlsx", silentLogger);
    expect(await rows(table)).toEqual([
      {
        line: 2,
        cells: ["u1", `${"n".repeat(32)}…`],
        problem: 'column 2 ("Note") holds 70,000 characters, more than the 65,536 a cell may hold',
        tooLong: { column: 1, length: 70_000 },
      },
      { line: 3, cells: ["u2", "ok"] },
    ]);
  });
});

describe("plan with an over-long cell", () => {
  const snapshot = join(dir, "snapshot");
  const out = join(dir, "out");
  let code = -1;

  beforeAll(async () => {
    writeFiles(snapshot, {
      "users/export.csv":
        "extId,email,note\n" +
        "u1,u1@example.com,short\n" +
        `u2,u2@example.com,"${"z".repeat(2_000_000)}"\n` +
        "u3,u3@example.com,fine\n",
      "users/tokens.csv": `extId,fcmToken\nu4,${"t".repeat(80_000)}\nu5,\n`,
    });
    const mapping = join(out, "mapping.json");
    expect((await runCli(["map", snapshot, "--out", out])).code).toBe(0);
    const confirm = ["map", snapshot, "--confirm", "--by", "test", "--mapping", mapping];
    expect((await runCli(confirm)).code).toBe(0);
    const plan = await runCli(["plan", snapshot, "--out", out, "--no-progress"]);
    expect(plan.stderr).toBe("");
    code = plan.code;
  }, 60_000);

  it("quarantines column and length only", () => {
    expect(code).toBe(0);
    const quarantine = parse(readFileSync(join(out, "quarantine.csv")), {
      columns: true,
    }) as Record<string, string>[];
    const long = quarantine.filter((row) => row.reason?.includes("a cell may hold"));
    expect(long.map((row) => [row.file, row.line, row.column, row.value, row.reason])).toEqual([
      [
        "users/export.csv",
        "3",
        "note",
        `u2 | u2@example.com | ${"z".repeat(32)}…`,
        'row rejected: column 3 ("note") holds 2,000,000 characters, more than the 65,536 a cell may hold',
      ],
      [
        "users/tokens.csv",
        "2",
        "fcmToken",
        "",
        'row rejected: column 2 ("fcmToken") holds 80,000 characters, more than the 65,536 a cell may hold',
      ],
    ]);
    expect(readFileSync(join(out, "quarantine.csv"), "utf8")).not.toContain("t".repeat(40));
  });

  it("keeps read = planned + quarantined + skipped", () => {
    const reconciliation = JSON.parse(readFileSync(join(out, "reconciliation.json"), "utf8"));
    const phase = reconciliation.phases.find((p: { name: string }) => p.name === "contacts");
    expect(phase).toMatchObject({ read: 5, planned: 3, quarantined: 2, skipped: 0 });
  });
});
