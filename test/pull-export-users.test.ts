import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { readExportUserIds } from "../bridge/src/netmera/export-users.js";

async function file(name: string, bytes: Buffer): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "pull-export-users-"));
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

async function read(path: string) {
  const ids: string[] = [];
  const summary = await readExportUserIds(path, "users/test.csv", (id) => ids.push(id));
  return { ids, summary };
}

describe("readExportUserIds", () => {
  it("reads Windows-1254 with pipes", async () => {
    const text = "Ad|extId|Şehir\nŞükrü|şükrü.öz/1|İstanbul\nAyşe|NULL|İzmir\n";
    const path = await file("a.csv", iconv.encode(text, "windows-1254"));

    const { ids, summary } = await read(path);

    expect(ids).toEqual(["şükrü.öz/1"]);
    expect(summary).toEqual({
      file: "users/test.csv",
      rows: 2,
      rowsWithoutExtId: 1,
      hasExtIdColumn: true,
    });
  });

  it("reads UTF-16LE with a byte-order mark and tabs", async () => {
    const text = "\uFEFFEmail\tExternal Id\nx@example.com\tAyse\ny@example.com\tayse\n";
    const path = await file("b.csv", iconv.encode(text, "utf16le"));

    const { ids } = await read(path);

    expect(ids).toEqual(["Ayse", "ayse"]);
  });

  it("reads quoted cells holding the delimiter", async () => {
    const text = 'externalId;Note\n"u;1";"a ""quoted"" note"\n"u2";\n';
    const path = await file("c.csv", Buffer.from(text, "utf8"));

    const { ids } = await read(path);

    expect(ids).toEqual(["u;1", "u2"]);
  });

  it("counts rows of a file without an External ID column", async () => {
    const path = await file("d.csv", Buffer.from("Email,Name\na@b.co,A\nc@d.co,C\n", "utf8"));

    const { ids, summary } = await read(path);

    expect(ids).toEqual([]);
    expect(summary).toEqual({
      file: "users/test.csv",
      rows: 2,
      rowsWithoutExtId: 2,
      hasExtIdColumn: false,
    });
  });

  it("names the file and line of broken quoting", async () => {
    const path = await file("e.csv", Buffer.from('extId,Name\nu1,"open\nu2,B\n', "utf8"));

    await expect(read(path)).rejects.toThrow(
      /^users\/test\.csv: cannot be read as utf8 CSV with delimiter "," \(line \d+\): /,
    );
  });
});
