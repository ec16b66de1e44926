import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { openTable } from "../bridge/src/snapshot/table.js";

const work = mkdtempSync(join(tmpdir(), "reader2-trailing-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function read(name: string, text: string) {
  const path = join(work, name);
  writeFileSync(path, text);
  const table = await openTable(path, `users/${name}`, silentLogger);
  const rows = [];
  for await (const row of table.rows()) rows.push(row);
  return { headers: table.headers, rows };
}

describe("trailing delimiters", () => {
  it("reads rows that end with a delimiter the header lacks", async () => {
    const { headers, rows } = await read(
      "a.csv",
      "externalId,name,email\nt1,A,t1@example.com,\nt2,B,,\n",
    );
    expect(headers).toEqual(["externalId", "name", "email"]);
    expect(rows.map((row) => row.problem)).toEqual([undefined, undefined]);
    expect(rows.map((row) => row.cells)).toEqual([
      ["t1", "A", "t1@example.com"],
      ["t2", "B", undefined],
    ]);
  });

  it("drops an unnamed last column when header and rows end with one", async () => {
    const { headers, rows } = await read("b.csv", "externalId;name;email;\nt1;A;t1@example.com;\n");
    expect(headers).toEqual(["externalId", "name", "email"]);
    expect(rows[0]?.cells).toEqual(["t1", "A", "t1@example.com"]);
    expect(rows[0]?.problem).toBeUndefined();
  });

  it("still rejects a row whose extra field holds a value", async () => {
    const { rows } = await read("c.csv", "externalId,name\nt1,A,lost value\n");
    expect(rows[0]?.problem).toBe("has 3 fields, the header has 2");
  });

  it("rejects a header with an unnamed column in the middle", async () => {
    await expect(read("d.csv", "externalId,,email\nt1,x,t1@example.com\n")).rejects.toThrow(
      "users/d.csv: line 1, column 2: the header has no name for this column; name it or remove the column",
    );
  });
});
