import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { locateInvalidUtf8 } from "../bridge/src/snapshot/encoding.js";
import { openTable, type Table } from "../bridge/src/snapshot/table.js";

const dir = mkdtempSync(join(tmpdir(), "reader2-encoding-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
function file(bytes: Buffer): string {
  counter += 1;
  const path = join(dir, `file-${counter}.csv`);
  writeFileSync(path, bytes);
  return path;
}

async function drain(table: Table): Promise<number> {
  let count = 0;
  for await (const batch of table.rowBatches()) {
    count += batch.length;
  }
  return count;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

describe("invalid UTF-8 position", () => {
  it("names offset, line, column and bytes after a BOM", async () => {
    const path = file(
      Buffer.concat([
        BOM,
        Buffer.from("externalId,name,surname,email,city\nT1,Fran", "latin1"),
        Buffer.from([0xe7]),
        Buffer.from("ois,M", "latin1"),
        Buffer.from([0xfc]),
        Buffer.from("ller,f@example.com,Z", "latin1"),
        Buffer.from([0xfc]),
        Buffer.from("rich\n", "latin1"),
      ]),
    );
    const reading = openTable(path, "users/t.csv", silentLogger).then(drain);
    await expect(reading).rejects.toThrow(
      'users/t.csv: invalid UTF-8 at byte offset 45 (line 2, column 8): "T1,Fran\\xe7ois,M\\xfcller,f@exa"; ' +
        "the file starts as UTF-8 but mixes encodings. Export it again as UTF-8, or give map " +
        "and audit --encoding users/t.csv=ENCODING (windows-1254, latin1 …) if it is all in one",
    );
  });

  it("counts characters, not bytes, in the column", async () => {
    const path = file(
      Buffer.concat([Buffer.from("a,b\nAyşe,Çağ"), Buffer.from([0xff]), Buffer.from("x\n")]),
    );
    expect(await locateInvalidUtf8(path)).toEqual({
      offset: 15,
      line: 2,
      column: 9,
      excerpt: "Ay\\xc5\\x9fe,\\xc3\\x87a\\xc4\\x9f\\xffx",
    });
  });

  it("finds a bad byte far past the first chunk", async () => {
    const head = "extId,name\nx,Ayşe\n" + "a,b\n".repeat(100_000);
    const path = file(
      Buffer.concat([Buffer.from(head), Buffer.from("c,d"), Buffer.from([0xc3, 0x28, 0x0a])]),
    );
    const problem = await locateInvalidUtf8(path);
    expect(problem?.offset).toBe(Buffer.byteLength(head) + 3);
    expect(problem?.line).toBe(100_003);
    expect(problem?.column).toBe(4);
    expect(problem?.excerpt).toBe("c,d\\xc3(");
  });

  it("rejects an overlong form", async () => {
    const path = file(Buffer.from([0x61, 0x0a, 0x62, 0xc0, 0xaf]));
    expect(await locateInvalidUtf8(path)).toEqual({
      offset: 3,
      line: 2,
      column: 2,
      excerpt: "b\\xc0\\xaf",
    });
  });

  it("returns undefined for valid UTF-8", async () => {
    expect(await locateInvalidUtf8(file(Buffer.from("a,ğ\n€,𝄞\n")))).toBeUndefined();
  });
});

describe("UTF-8 files with a stray byte", () => {
  it("stop at the stray byte instead of reading everything as Windows-1254", async () => {
    const path = file(
      Buffer.concat([
        Buffer.from(
          "externalId,name,surname,city\nw1,Ayşe,Yılmaz,İstanbul\nw2,Ğül,Şen,Iğdır\nw5,Ay",
          "utf8",
        ),
        Buffer.from([0xfe]),
        Buffer.from("e,X,Ankara\n", "utf8"),
      ]),
    );
    // A small file fails while its header is read, a large one while its rows are.
    const read = async () => drain(await openTable(path, "users/a.csv", silentLogger));
    await expect(read()).rejects.toThrow(
      /^users\/a\.csv: invalid UTF-8 at byte offset \d+ \(line 4, column 6\).*mixes encodings/,
    );
  });

  it("still reads a Windows-1254 file with one UTF-8-like pair as Windows-1254", async () => {
    // "Ö" then an en dash in Windows-1254 are the bytes of a valid two-byte UTF-8 sequence.
    const path = file(
      Buffer.concat([
        Buffer.from("externalId,name\nw1,", "latin1"),
        Buffer.from([0xd6, 0x96, 0x20, 0x41, 0x79, 0xfe, 0x65]),
        Buffer.from("\n", "latin1"),
      ]),
    );
    const table = await openTable(path, "users/b.csv", silentLogger);
    expect(table.format).toMatchObject({ encoding: "windows-1254" });
    const rows = [];
    for await (const row of table.rows()) rows.push(row);
    expect(rows[0]?.cells).toEqual(["w1", "Ö– Ayşe"]);
  });
});
