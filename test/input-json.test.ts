import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { readCampaigns } from "../bridge/src/history/campaign-source.js";
import { loadMapping } from "../bridge/src/mapping/store.js";
import { findJsonSyntaxProblem, streamJsonRecords } from "../bridge/src/snapshot/json-stream.js";
import { openSnapshot, readProfileAttributes } from "../bridge/src/snapshot/snapshot.js";
import { writeFiles } from "./input-support.js";

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "input-json-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("findJsonSyntaxProblem", () => {
  it.each([
    ['{\n  "a": 1,\n  "b": }', 3, 8, 'unexpected "}" where a value was expected', '"b": }'],
    ['{"a" 1}', 1, 6, 'expected ":" after the property name', '{"a" 1}'],
    ["[1,2", 1, 5, "the file ends before the array is closed", "[1,2"],
    ["[1,", 1, 4, "the file ends where a value was expected", "[1,"],
    ["{x: 1}", 1, 2, "expected a property name in double quotes", "{x: 1}"],
    ['{"a":1}}', 1, 8, "unexpected text after the end of the JSON value", '{"a":1}}'],
    ['["a" "b"]', 1, 6, 'expected "," or "]" after the array element', '["a" "b"]'],
    ['{"a":"x\ny"}', 1, 8, "unescaped control character or line break in a string", '{"a":"x'],
    ['{"a": 01}', 1, 8, 'expected "," or "}" after the property value', '{"a": 01}'],
  ])("locates %j", (text, line, column, reason, excerpt) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(findJsonSyntaxProblem(text)).toEqual({ line, column, reason, excerpt });
  });

  it("returns nothing for valid JSON", () => {
    expect(findJsonSyntaxProblem('{"a": [1, -2.5e3, true, null, "\\u00e7"]}')).toBeUndefined();
  });

  it("cuts a long line around the column", () => {
    const text = `{"a": "${"x".repeat(100)}", "b": ]}`;
    const problem = findJsonSyntaxProblem(text);
    expect(problem?.column).toBe(116);
    expect(problem?.excerpt).toBe(`…${"x".repeat(22)}", "b": ]}`);
  });
});

describe("JSON files name line and column", () => {
  it("profile-attributes.json", async () => {
    writeFiles(root, {
      "profile-attributes.json":
        '\ufeff{\n  "customProfileAttributes": [\n    {"code": "tier",}\n  ]\n}',
    });
    const snapshot = await openSnapshot(root, { logger: silentLogger });
    await expect(readProfileAttributes(snapshot)).rejects.toThrow(
      "profile-attributes.json: line 3, column 21: invalid JSON (expected a property name in " +
        'double quotes) near "{\\"code\\": \\"tier\\",}"',
    );
  });

  it("campaigns.json", async () => {
    writeFiles(root, { "campaigns.json": '{"campaigns": [\n  {"id": 1, "name": "Spring\'}\n]}' });
    await expect(readCampaigns(root)).rejects.toThrow(
      "campaigns.json: line 2, column 30: invalid JSON (unescaped control character or line " +
        'break in a string) near "{\\"id\\": 1, \\"name\\": \\"Spring\'}"',
    );
  });

  it("mapping.json", async () => {
    const path = join(root, "mapping.json");
    writeFiles(root, { "mapping.json": '{\n  "version": 1,\n  "entries": [\n    {"source": }\n' });
    await expect(loadMapping(path)).rejects.toThrow(
      `mapping file ${path}: line 4, column 16: invalid JSON (unexpected "}" where a value ` +
        'was expected) near "{\\"source\\": }"',
    );
  });

  it("manifest.json", async () => {
    writeFiles(root, { "manifest.json": '{"app": "x", "pulledAt": "now" "files": {}}' });
    await expect(openSnapshot(root, { logger: silentLogger })).rejects.toThrow(
      'manifest.json: line 1, column 32: invalid JSON (expected "," or "}" after the property value)',
    );
  });

  it("a streamed record on a later line and column", async () => {
    writeFiles(root, { "devices.json": '{"devices": [\n  {"extId": "a"},  {"extId": b}\n]}' });
    const read = async () => {
      for await (const record of streamJsonRecords(join(root, "devices.json"), "devices.json")) {
        expect(record.value).toEqual({ extId: "a" });
      }
    };
    await expect(read()).rejects.toThrow(
      'devices.json: line 2, column 30: invalid JSON (unexpected "b" where a value was expected)',
    );
  });

  it("an NDJSON line", async () => {
    writeFiles(root, { "profiles/part-00001.ndjson": '{"extId":"a"}\n  {"extId":"b",}\n' });
    const read = async () => {
      const path = join(root, "profiles/part-00001.ndjson");
      for await (const record of streamJsonRecords(path, "profiles/part-00001.ndjson")) {
        expect(record.line).toBe(1);
      }
    };
    await expect(read()).rejects.toThrow(
      "profiles/part-00001.ndjson: line 2, column 16: invalid JSON (expected a property name " +
        "in double quotes)",
    );
  });
});
