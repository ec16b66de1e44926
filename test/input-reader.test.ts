import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { readDevices, readMembers } from "../bridge/src/snapshot/records.js";
import { openSnapshot, openSnapshotTable } from "../bridge/src/snapshot/snapshot.js";
import { writeFiles } from "./input-support.js";

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "input-reader-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

async function openUsers(file: string) {
  const snapshot = await openSnapshot(root, { logger: silentLogger });
  return openSnapshotTable(snapshot, file, "users");
}

async function members(file: string) {
  const snapshot = await openSnapshot(root, { logger: silentLogger });
  const rows = [];
  for await (const row of readMembers(snapshot, file)) rows.push(row);
  return rows;
}

const SUPPORTED = 'supported delimiters are "," ";" "|" "~" "^" and tab';

describe("unsupported delimiters", () => {
  it("rejects a colon-delimited user file", async () => {
    writeFiles(root, { "users/a.csv": "External ID:Email:Name\nu1:u1@example.com:Ali\n" });
    await expect(openUsers("users/a.csv")).rejects.toThrow(
      `users/a.csv: line 1 has one column but contains ":", which looks like a field delimiter; ${SUPPORTED}, so export the file again with one of them`,
    );
  });

  it("rejects a hash-delimited tag file", async () => {
    writeFiles(root, { "tags/vip.csv": "External ID#Email\nu1#u1@example.com\n" });
    await expect(members("tags/vip.csv")).rejects.toThrow(
      `tags/vip.csv: line 1 has one column but contains "#"`,
    );
  });

  it("rejects a broken-pipe-delimited file", async () => {
    writeFiles(root, { "users/a.csv": "External ID\u00a6Email\nu1\u00a6u1@example.com\n" });
    await expect(openUsers("users/a.csv")).rejects.toThrow(`contains "\u00a6"`);
  });

  it("still reads a one-column file with a plain header", async () => {
    writeFiles(root, { "users/a.csv": "External ID\nu1\nu2\n" });
    const table = await openUsers("users/a.csv");
    expect(table.headers).toEqual(["External ID"]);
    expect(table.format).toEqual({ kind: "csv", encoding: "utf-8", delimiter: "," });
  });

  it("ignores a colon inside a quoted header", async () => {
    writeFiles(root, { "users/a.csv": '"Note: free text"\tExternal ID\nhello\tu1\n' });
    const table = await openUsers("users/a.csv");
    expect(table.headers).toEqual(["Note: free text", "External ID"]);
  });
});

describe("binary files", () => {
  it("rejects a NUL byte with its line, column, header and offset", async () => {
    const bytes = Buffer.concat([Buffer.from("External ID,Email\nu1,a"), Buffer.from([0, 1, 2])]);
    writeFiles(root, { "users/a.csv": bytes });
    await expect(openUsers("users/a.csv")).rejects.toThrow(
      'users/a.csv: line 2, column 2 ("Email"): NUL byte at byte offset 22, so this is not a ' +
        "text file; export it again as CSV (UTF-8, UTF-16 or Windows-1254) or as .xlsx",
    );
  });

  it("locates a NUL after quoted breaks", async () => {
    const text = 'extId;"Ad; Soyad";Şehir\r\nu1;"Ali\nVeli; Kaya";İzmir\r\nu2;Ayşe;An';
    const bytes = Buffer.concat([Buffer.from(text), Buffer.from([0]), Buffer.from("kara\r\n")]);
    writeFiles(root, { "users/a.csv": bytes });
    await expect(openUsers("users/a.csv")).rejects.toThrow(
      `users/a.csv: line 4, column 3 ("Şehir"): NUL byte at byte offset ${Buffer.byteLength(text)},`,
    );
  });

  it("names Windows-1254 headers at NULs", async () => {
    const header = Buffer.from([0x53, 0xfd, 0x72, 0x61]); // "Sıra" in Windows-1254
    const bytes = Buffer.concat([Buffer.from("extId,"), header, Buffer.from("\nu1,a\x00b\n")]);
    writeFiles(root, { "users/a.csv": bytes });
    await expect(openUsers("users/a.csv")).rejects.toThrow(
      'users/a.csv: line 2, column 2 ("Sıra"): NUL byte at byte offset 15,',
    );
    writeFiles(root, { "users/a.csv": Buffer.from("extId,na\x00me\nu1,a\n") });
    await expect(openUsers("users/a.csv")).rejects.toThrow(
      "users/a.csv: line 1, column 2: NUL byte at byte offset 8,",
    );
  });

  it("rejects an XLSX workbook saved as .csv", async () => {
    // The zip local file header of every .xlsx: "PK\x03\x04" followed by version and NUL flags.
    const zip = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00]);
    writeFiles(root, { "tags/vip.csv": Buffer.concat([zip, Buffer.alloc(64, 0x41)]) });
    await expect(members("tags/vip.csv")).rejects.toThrow(
      "tags/vip.csv: line 1, column 1: NUL byte at byte offset 5, so this is not a text file",
    );
  });

  it("rejects a high share of control characters", async () => {
    const noise = Buffer.alloc(40);
    for (let i = 0; i < noise.length; i += 1) noise[i] = (i % 7) + 1;
    writeFiles(root, { "users/a.csv": Buffer.concat([Buffer.from("extId,name\n"), noise]) });
    await expect(openUsers("users/a.csv")).rejects.toThrow(
      "users/a.csv: is not a text file: 78% of the first 51 bytes are control characters, " +
        "the first at byte offset 11",
    );
  });

  it("reads UTF-16 text, whose ASCII bytes come with NULs", async () => {
    const text = Buffer.from("\ufeffextId\tname\nu1\tAyşe\n", "utf16le");
    writeFiles(root, { "users/a.csv": text });
    const table = await openUsers("users/a.csv");
    expect(table.headers).toEqual(["extId", "name"]);
    const rows = [];
    for await (const row of table.rows()) rows.push(row.cells);
    expect(rows).toEqual([["u1", "Ayşe"]]);
  });
});

describe("membership file headers", () => {
  it("rejects an unknown header naming the headers and spellings", async () => {
    writeFiles(root, { "tags/vip.csv": "Customer Number,Segment\nC1,vip\n" });
    await expect(members("tags/vip.csv")).rejects.toThrow(
      'tags/vip.csv: line 1 has no identifier column (headers seen: "Customer Number", "Segment"); ' +
        "add a header line with an extId column, or an email or MSISDN column. Accepted spellings " +
        "(any case, spaces and punctuation ignored): extId: External ID, extId, externalId, ext_id",
    );
  });

  it("reads a recognised extId column", async () => {
    writeFiles(root, { "tags/vip.csv": "External ID,Email\nC1,c1@example.com\n" });
    const rows = await members("tags/vip.csv");
    expect(rows).toEqual([
      { file: "tags/vip.csv", line: 2, extId: "C1", email: "c1@example.com", msisdn: undefined },
    ]);
  });

  it("reads an email-only tag export", async () => {
    writeFiles(root, { "tags/vip.csv": "E-mail\nc1@example.com\n" });
    const rows = await members("tags/vip.csv");
    expect(rows.map((row) => row.email)).toEqual(["c1@example.com"]);
  });
});

describe("push token columns", () => {
  const headers = [
    "registrationId",
    "fcm",
    "fcmToken",
    "apnsToken",
    "pushToken",
    "token",
    "deviceToken",
  ];

  it("reads every token spelling of a user file as pushToken", async () => {
    writeFiles(root, { "users/a.csv": `extId,${headers.join(",")}\nu1,a,b,c,d,e,f,g\n` });
    const table = await openUsers("users/a.csv");
    expect(table.matched.meanings).toEqual(["extId", ...headers.map(() => "pushToken")]);
  });

  it("counts a token under any of these names in device files", async () => {
    for (const header of headers) {
      writeFiles(root, { [`devices/${header}.csv`]: `extId,platform,${header}\nu1,IOS,tok\n` });
    }
    writeFiles(root, {
      "devices.json": JSON.stringify({
        devices: headers.map((header, i) => ({ extId: `j${i}`, [header]: `tok${i}` })),
      }),
    });
    const snapshot = await openSnapshot(root, { logger: silentLogger });
    for (const header of headers) {
      const rows = [];
      for await (const row of readDevices(snapshot, `devices/${header}.csv`)) rows.push(row);
      expect(
        rows.map((row) => row.hasPushToken),
        header,
      ).toEqual([true]);
    }
    const json = [];
    for await (const row of readDevices(snapshot, "devices.json")) json.push(row.hasPushToken);
    expect(json).toEqual(headers.map(() => true));
  });
});

describe("device OS column", () => {
  it("reads a version in the OS column as the OS version", async () => {
    writeFiles(root, {
      "devices.csv": "extId,Platform,OS\nu1,ANDROID,13\nu2,IOS,IOS\nu3,,16.7.2\n",
    });
    const snapshot = await openSnapshot(root, { logger: silentLogger });
    const rows = [];
    for await (const row of readDevices(snapshot, "devices.csv")) rows.push(row);
    expect(rows.map((row) => [row.extId, row.platform, row.os, row.osVersion])).toEqual([
      ["u1", "ANDROID", undefined, "13"],
      ["u2", "IOS", "IOS", undefined],
      ["u3", undefined, undefined, "16.7.2"],
    ]);
  });
});
