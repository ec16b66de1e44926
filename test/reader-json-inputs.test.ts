import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { streamJsonRecords } from "../bridge/src/snapshot/json-stream.js";
import { z } from "zod";
import {
  openSnapshot,
  readJsonFile,
  readProfileAttributes,
  readSegments,
} from "../bridge/src/snapshot/snapshot.js";
import { writeFiles } from "./input-support.js";

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "reader-json-inputs-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

async function attributes() {
  return readProfileAttributes(await openSnapshot(root, { logger: silentLogger }));
}

async function records(file: string) {
  const values: unknown[] = [];
  for await (const record of streamJsonRecords(join(root, file), file)) values.push(record.value);
  return values;
}

const ATTRIBUTES = '{"standardProfileAttributes": [{"code": "email", "dataType": "STRING"}]}';
const UTF16_BOM =
  "profile-attributes.json: is not UTF-8 but UTF-16 text (it starts with a UTF-16 byte-order " +
  "mark); JSON files must be UTF-8 (with or without a byte-order mark), so save it again as UTF-8";

describe("JSON files in UTF-16", () => {
  it("rejects profile-attributes.json in UTF-16 LE with a byte-order mark", async () => {
    writeFiles(root, { "profile-attributes.json": Buffer.from(`\ufeff${ATTRIBUTES}`, "utf16le") });
    await expect(attributes()).rejects.toThrow(UTF16_BOM);
  });

  it("rejects UTF-16 BE with a mark and UTF-16 LE without one", async () => {
    const be = Buffer.from(`\ufeff${ATTRIBUTES}`, "utf16le").swap16();
    writeFiles(root, { "profile-attributes.json": be });
    await expect(attributes()).rejects.toThrow(UTF16_BOM);
    writeFiles(root, { "segments.json": Buffer.from('[{"id": 1, "name": "VIP"}]', "utf16le") });
    await expect(readSegments(await openSnapshot(root, { logger: silentLogger }))).rejects.toThrow(
      "segments.json: is not UTF-8 but UTF-16 text (its characters contain NUL bytes); JSON files " +
        "must be UTF-8",
    );
  });

  it("rejects streamed records in UTF-16, as .json and as .ndjson", async () => {
    const devices = Buffer.from('\ufeff[{"extId": "u1"}]', "utf16le");
    const profiles = Buffer.from('\ufeff{"extId": "u1"}\n{"extId": "u2"}\n', "utf16le");
    writeFiles(root, { "devices/a.json": devices, "profiles/a.ndjson": profiles });
    await expect(records("devices/a.json")).rejects.toThrow(
      "devices/a.json: is not UTF-8 but UTF-16 text (it starts with a UTF-16 byte-order mark)",
    );
    await expect(records("profiles/a.ndjson")).rejects.toThrow(
      "profiles/a.ndjson: is not UTF-8 but UTF-16 text (it starts with a UTF-16 byte-order mark)",
    );
  });

  it("still reads UTF-8 with a byte-order mark", async () => {
    writeFiles(root, {
      "profile-attributes.json": `\ufeff${ATTRIBUTES}`,
      "profiles/a.ndjson": '\ufeff{"extId": "u1"}\n',
    });
    expect(await attributes()).toEqual([{ code: "email", dataType: "STRING" }]);
    expect(await records("profiles/a.ndjson")).toEqual([{ extId: "u1" }]);
  });
});

describe("duplicate keys", () => {
  it("rejects profile-attributes.json with a key twice in one definition", async () => {
    writeFiles(root, {
      "profile-attributes.json":
        '{"standardProfileAttributes": [\n  {"code": "email", "dataType": "STRING",\n' +
        '   "code": "loyaltyPoints"}\n]}',
    });
    await expect(attributes()).rejects.toThrow(
      'profile-attributes.json: line 3, column 4: the key "code" occurs a second time in the ' +
        "same object (first at line 2, column 4); a JSON reader would keep only the last value, " +
        "so remove or rename one of them",
    );
  });

  it("rejects a repeated key in records", async () => {
    writeFiles(root, {
      "devices/a.json": '{"devices": [\n  {"extId": "u1"},\n  {"extId": "u2", "extId": "u3"}\n]}',
      "profiles/a.ndjson": '{"extId": "u1"}\n  {"extId": "u2", "profile": {"a": 1, "a": 2}}\n',
    });
    await expect(records("devices/a.json")).rejects.toThrow(
      'devices/a.json: line 3, column 19: the key "extId" occurs a second time in the same ' +
        "object (first at line 3, column 4)",
    );
    await expect(records("profiles/a.ndjson")).rejects.toThrow(
      'profiles/a.ndjson: line 2, column 39: the key "a" occurs a second time in the same ' +
        "object (first at line 2, column 31)",
    );
  });

  it("accepts the same key in different objects and text that looks like keys", async () => {
    const record = {
      extId: "u1",
      note: ':"extId": \\":',
      ":": { extId: "u2", "a\\": 1 },
      tags: [{ extId: "u3" }, { extId: "u4" }],
    };
    // White space before a colon and a string that starts with ":" make the quick count differ,
    // so the scan runs and must find nothing.
    const text = JSON.stringify(record).replace('"extId":"u1"', '"extId" : "u1"');
    writeFiles(root, { "profiles/a.ndjson": `${text}\n`, "devices/a.json": `[${text}]` });
    expect(await records("profiles/a.ndjson")).toEqual([record]);
    expect(await records("devices/a.json")).toEqual([record]);
  });

  it("rejects a duplicate key written with white space before its colon", async () => {
    writeFiles(root, {
      "profiles/a.ndjson": '{"extId" : "u1", "extId" : "u2"}\n',
      "profiles/b.ndjson": '{"extId" :\t"u1", "extId": "u2"}\n',
      "profiles/c.ndjson": '{"note": ":x", "extId": "u1", "extId": "u2"}\n',
    });
    await expect(records("profiles/a.ndjson")).rejects.toThrow(
      'profiles/a.ndjson: line 1, column 18: the key "extId" occurs a second time',
    );
    await expect(records("profiles/b.ndjson")).rejects.toThrow(
      'profiles/b.ndjson: line 1, column 18: the key "extId" occurs a second time',
    );
    await expect(records("profiles/c.ndjson")).rejects.toThrow(
      'profiles/c.ndjson: line 1, column 31: the key "extId" occurs a second time',
    );
  });
});

describe("JSON files of the wrong shape", () => {
  it("names the field and what it expected", async () => {
    writeFiles(root, { "profile-attributes.json": '{"standardProfileAttributes": {"code":"x"}}' });
    await expect(attributes()).rejects.toThrow(
      "profile-attributes.json: does not match the expected format: standardProfileAttributes " +
        "(line 1, column 31): expected a list ([…]), found an object",
    );
  });

  it("names missing fields and non-lists", async () => {
    writeFiles(root, {
      "profile-attributes.json": '[\n  {"code": "email"},\n  {"dataType": "STRING"}\n]',
      "segments.json": '{"name": "VIP"}',
    });
    await expect(attributes()).rejects.toThrow(
      "profile-attributes.json: does not match the expected format: 1.code (line 3, column 3): " +
        "expected a text in double quotes, found nothing (the field is missing)",
    );
    await expect(readSegments(await openSnapshot(root, { logger: silentLogger }))).rejects.toThrow(
      "segments.json: does not match the expected format: (root) (line 1, column 1): expected a " +
        "list ([…]), found an object",
    );
  });

  it("describes the furthest branch of a failed union", async () => {
    // campaigns.json is a list, or a page with the list under "campaigns" or "list".
    const schema = z.union([
      z.looseObject({ campaigns: z.array(z.looseObject({ id: z.number() })) }),
      z.looseObject({ list: z.array(z.looseObject({ id: z.number() })) }),
      z.array(z.looseObject({ id: z.number() })),
    ]);
    writeFiles(root, { "campaigns.json": '{"list": [\n  {"id": 1},\n  {"id": "7"}\n]}' });
    const snapshot = await openSnapshot(root, { logger: silentLogger });
    await expect(readJsonFile(snapshot, "campaigns.json", schema)).rejects.toThrow(
      "campaigns.json: does not match the expected format: list.1.id (line 3, column 10): " +
        'expected a number, found the text "7"',
    );
  });

  it("still reads a plain list of definitions and a segment page", async () => {
    writeFiles(root, {
      "profile-attributes.json": '[{"code": "tier", "dataType": "STRING"}]',
      "segments.json": '{"list": [{"id": 7, "name": "VIP"}]}',
    });
    expect(await attributes()).toEqual([{ code: "tier", dataType: "STRING" }]);
    const segments = await readSegments(await openSnapshot(root, { logger: silentLogger }));
    expect(segments).toEqual([{ id: "7", name: "VIP" }]);
  });
});
