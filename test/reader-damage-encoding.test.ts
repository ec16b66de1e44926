import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { readExportUserIds } from "../bridge/src/netmera/export-users.js";
import { stateEncoding } from "../bridge/src/snapshot/encoding.js";
import { openTable } from "../bridge/src/snapshot/table.js";

const dir = mkdtempSync(join(tmpdir(), "reader-damage-encoding-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
function file(bytes: Buffer): string {
  counter += 1;
  const path = join(dir, `file-${counter}.csv`);
  writeFileSync(path, bytes);
  return path;
}

const LE_BOM = Buffer.from([0xff, 0xfe]);
const BE_BOM = Buffer.from([0xfe, 0xff]);

function utf16le(text: string): Buffer {
  return Buffer.from(text, "utf16le");
}

function utf16be(text: string): Buffer {
  return Buffer.from(text, "utf16le").swap16();
}

/** Encode one UTF-16 code unit as two bytes. */
function unit(code: number, bigEndian = false): Buffer {
  const bytes = Buffer.alloc(2);
  if (bigEndian) {
    bytes.writeUInt16BE(code);
  } else {
    bytes.writeUInt16LE(code);
  }
  return bytes;
}

async function readAll(path: string, name: string): Promise<(string | undefined)[][]> {
  const table = await openTable(path, name, silentLogger);
  const cells: (string | undefined)[][] = [];
  for await (const row of table.rows()) {
    cells.push(row.cells);
  }
  return cells;
}

const DAMAGED =
  ". the file is damaged or was cut short. Export it again (as UTF-8 or UTF-16), or repair the text at that place";
const damaged = (what: string) => `${what}${DAMAGED.replace(". ", "; ")}`;

describe("damaged UTF-16", () => {
  it("rejects a lone high surrogate (LE)", async () => {
    // "extId,note\n" is 11 units, "u1,ok\n" 6: line 3 starts at byte 2 + 34 = 36, and the
    // surrogate follows "u2," at byte 42.
    const path = file(
      Buffer.concat([
        LE_BOM,
        utf16le("extId,note\nu1,ok\nu2,"),
        unit(0xd83d),
        utf16le("x\nu3,ok\n"),
      ]),
    );
    await expect(readAll(path, "users/le.csv")).rejects.toThrow(
      `users/le.csv: line 3 (byte offset 42): ${damaged("unpaired UTF-16 surrogate 0xD83D")}`,
    );
  });

  it("rejects a lone low surrogate (BE)", async () => {
    const path = file(
      Buffer.concat([BE_BOM, utf16be("extId,note\nu1,"), unit(0xdc00, true), utf16be("\n")]),
    );
    await expect(readAll(path, "users/be.csv")).rejects.toThrow(
      `users/be.csv: line 2 (byte offset 30): ${damaged("unpaired UTF-16 surrogate 0xDC00")}`,
    );
  });

  it("rejects an odd last byte", async () => {
    const path = file(
      Buffer.concat([LE_BOM, utf16le("extId,note\nu1,ok\nu2,a"), Buffer.from([0x62])]),
    );
    await expect(readAll(path, "users/odd.csv")).rejects.toThrow(
      `users/odd.csv: line 3 (byte offset 44): ${damaged(
        "odd last byte: UTF-16 text has an even number of bytes",
      )}`,
    );
  });

  it("rejects a file cut mid-character", async () => {
    const path = file(Buffer.concat([LE_BOM, utf16le("extId,note\nu1,"), unit(0xd83d)]));
    await expect(readAll(path, "users/cut.csv")).rejects.toThrow(
      `users/cut.csv: line 2 (byte offset 30): ${damaged(
        "unpaired UTF-16 surrogate 0xD83D at the end",
      )}`,
    );
  });

  it("reads a pair split across chunks", async () => {
    // Reads start after the byte-order mark in chunks of 256 KiB; the pair's first half ends
    // the first chunk.
    const header = "extId,note\n";
    const row = (index: number) => `u${String(index).padStart(5, "0")},${"a".repeat(40)}\n`;
    let text = header;
    let index = 0;
    while ((text.length + row(index).length) * 2 < 256 * 1024 - 200) {
      text += row(index);
      index += 1;
    }
    const prefix = "emoji,";
    const filler = (256 * 1024) / 2 - 1 - text.length - prefix.length;
    text += prefix + "b".repeat(filler);
    expect(text.length * 2 + 2).toBe(256 * 1024);
    const path = file(Buffer.concat([LE_BOM, utf16le(`${text}😀\nlast,ok\n`)]));
    const cells = await readAll(path, "users/pair.csv");
    expect(cells.length).toBe(index + 2);
    expect(cells[index]).toEqual(["emoji", `${"b".repeat(filler)}😀`]);
    expect(cells[index + 1]).toEqual(["last", "ok"]);
  });
});

describe("invalid UTF-8", () => {
  it("stops at a mixed-in byte", async () => {
    const path = file(
      Buffer.concat([Buffer.from("extId,city\nu1,Muğla İzmir\nu2,Bo"), Buffer.from([0xfc, 0x0a])]),
    );
    await expect(readAll(path, "users/mixed.csv")).rejects.toThrow(
      'users/mixed.csv: invalid UTF-8 at byte offset 33 (line 3, column 6): "u2,Bo\\xfc"',
    );
  });

  it("stops at a bad byte past 64 KiB", async () => {
    // Detection reads only valid UTF-8, so the bad byte far down must not become U+FFFD.
    const rows = Array.from({ length: 3000 }, (_, i) => `u${i},Muğla\n`).join("");
    const head = Buffer.from(`extId,city\n${rows}`);
    const path = file(Buffer.concat([head, Buffer.from("u9,Bo"), Buffer.from([0xfc, 0x0a])]));
    await expect(readAll(path, "users/late.csv")).rejects.toThrow(
      `users/late.csv: invalid UTF-8 at byte offset ${head.length + 5} (line 3002, column 6)`,
    );
  });

  it("reads the bytes as stated Windows-1254", async () => {
    const path = file(Buffer.concat([Buffer.from("extId,city\nu2,Bo"), Buffer.from([0xfc, 0x0a])]));
    stateEncoding(path, "windows-1254");
    expect(await readAll(path, "users/tr.csv")).toEqual([["u2", "Boü"]]);
    stateEncoding(path, undefined);
  });
});

describe("damaged input in the pull step's export reader", () => {
  it("rejects a lone UTF-16 surrogate", async () => {
    const path = file(
      Buffer.concat([LE_BOM, utf16le("External ID\nu1\nu"), unit(0xd800), utf16le("\n")]),
    );
    await expect(readExportUserIds(path, "export.csv", () => undefined)).rejects.toThrow(
      `export.csv: line 3 (byte offset 34): ${damaged("unpaired UTF-16 surrogate 0xD800")}`,
    );
  });

  it("rejects invalid UTF-8 past 64 KiB", async () => {
    const rows = Array.from({ length: 12000 }, (_, i) => `ü${i}\n`).join("");
    const head = Buffer.from(`External ID\n${rows}`);
    const path = file(Buffer.concat([head, Buffer.from([0x78, 0xfc, 0x0a])]));
    const ids: string[] = [];
    await expect(readExportUserIds(path, "export.csv", (id) => ids.push(id))).rejects.toThrow(
      `export.csv: invalid UTF-8 at byte offset ${head.length + 1} (line 12002, column 2): "x\\xfc"`,
    );
    expect(ids.some((id) => id.includes("\ufffd"))).toBe(false);
  });
});
