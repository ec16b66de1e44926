import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import iconv from "iconv-lite";
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { openTable } from "../bridge/src/snapshot/table.js";

const dir = mkdtempSync(join(tmpdir(), "reader-sep-directive-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function read(name: string, content: Buffer) {
  const path = join(dir, name);
  writeFileSync(path, content);
  const table = await openTable(path, `users/${name}`, silentLogger);
  const rows: { line: number; cells: (string | undefined)[] }[] = [];
  for await (const row of table.rows()) rows.push({ line: row.line, cells: row.cells });
  return { headers: table.headers, format: table.format, rows };
}

describe("Excel's sep= line", () => {
  it("names the delimiter of a Windows-1254 file", async () => {
    const text = "sep=;\r\nExternal ID;Şehir;Puan\r\nu1;İzmir;1,5\r\nu2;Muğla;2\r\n";
    const table = await read("cp1254.csv", iconv.encode(text, "windows-1254"));
    expect(table.headers).toEqual(["External ID", "Şehir", "Puan"]);
    expect(table.format).toEqual({ kind: "csv", encoding: "windows-1254", delimiter: ";" });
    expect(table.rows).toEqual([
      { line: 3, cells: ["u1", "İzmir", "1,5"] },
      { line: 4, cells: ["u2", "Muğla", "2"] },
    ]);
  });

  it("reads a UTF-8 file with a byte-order mark", async () => {
    const table = await read("bom.csv", Buffer.from("\ufeffSEP=,\nextId,city\nu1,Bursa\n"));
    expect(table.headers).toEqual(["extId", "city"]);
    expect(table.rows).toEqual([{ line: 3, cells: ["u1", "Bursa"] }]);
  });

  it("wins over the delimiter the lines suggest", async () => {
    // Each line has more commas than pipes, yet the first line names the pipe.
    const table = await read("pipe.csv", Buffer.from("sep=|\nextId|note\nu1|a,b,c\n"));
    expect(table.headers).toEqual(["extId", "note"]);
    expect(table.rows).toEqual([{ line: 3, cells: ["u1", "a,b,c"] }]);
  });

  it("rejects a delimiter the reader lacks", async () => {
    await expect(read("colon.csv", Buffer.from("sep=:\nextId:city\nu1:Bursa\n"))).rejects.toThrow(
      'users/colon.csv: line 1: "sep=:" names the delimiter ":", which is not supported; use one ' +
        'of ",", ";", "|", "~", "^", tab',
    );
  });

  it("rejects a file with no header after it", async () => {
    await expect(read("only.csv", Buffer.from("sep=;\n"))).rejects.toThrow(
      "users/only.csv: is empty (no header line)",
    );
  });
});
