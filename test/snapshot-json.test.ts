import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { streamJsonRecords } from "../bridge/src/snapshot/json-stream.js";

const dir = mkdtempSync(join(tmpdir(), "reader-json-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function records(name: string, text: string) {
  const path = join(dir, name);
  writeFileSync(path, text);
  const result: { line: number; value: unknown }[] = [];
  for await (const record of streamJsonRecords(path, name)) {
    result.push(record);
  }
  return result;
}

describe("streamJsonRecords", () => {
  it("streams the list of a getSegmentUsers response", async () => {
    const text =
      '{"name":"VIP","list":[\n{"externalId":"a","email":"a@b.co"},\n{"externalId":"b","msisdn":"905312345678"}\n],"nextPage":null}';
    expect(await records("seg.json", text)).toEqual([
      { line: 2, value: { externalId: "a", email: "a@b.co" } },
      { line: 3, value: { externalId: "b", msisdn: "905312345678" } },
    ]);
  });

  it("streams a top-level array and pages of lists", async () => {
    expect(
      (await records("arr.json", '[{"extId":"x"},{"extId":"y"}]')).map((r) => r.value),
    ).toEqual([{ extId: "x" }, { extId: "y" }]);
    const pages =
      '[{"list":[{"externalId":"p1"}]},{"list":[{"externalId":"p2"},{"externalId":"p3"}]}]';
    expect((await records("pages.json", pages)).map((r) => r.value)).toEqual([
      { externalId: "p1" },
      { externalId: "p2" },
      { externalId: "p3" },
    ]);
  });

  it("keeps strings with braces and escaped quotes intact", async () => {
    const text = '{"devices":[{"extId":"a\\"}{[","model":"x]"}]}';
    expect((await records("tricky.json", text)).map((r) => r.value)).toEqual([
      { extId: 'a"}{[', model: "x]" },
    ]);
  });

  it("reads NDJSON line by line", async () => {
    expect(await records("d.ndjson", '{"extId":"a"}\n\n{"extId":"b"}\n')).toEqual([
      { line: 1, value: { extId: "a" } },
      { line: 3, value: { extId: "b" } },
    ]);
  });

  it("names the file and line of a broken record", async () => {
    await expect(records("bad.json", '{"list":[\n{"a":1},\n{"b":tru}\n]}')).rejects.toThrow(
      'bad.json: line 3, column 6: invalid JSON (unexpected "t" where a value was expected) near "{\\"b\\":tru}"',
    );
    await expect(records("cut.json", '{"list":[{"a":1}')).rejects.toThrow(
      /cut\.json: ends in the middle/,
    );
  });
});
