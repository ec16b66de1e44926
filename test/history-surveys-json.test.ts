import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readSurveys } from "../bridge/src/history/survey.js";

const root = mkdtempSync(join(tmpdir(), "history-surveys-json-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function snapshotWith(name: string, content: string | Buffer): string {
  const folder = mkdtempSync(join(root, `${name}-`));
  writeFileSync(join(folder, "surveys.json"), content);
  return folder;
}

describe("surveys.json", () => {
  it("rejects a key written twice", async () => {
    const dir = snapshotWith("twice", '[{"id":"s1","id":"s2","questions":[]}]');
    await expect(readSurveys(dir)).rejects.toThrow(
      'surveys.json: line 1, column 13: the key "id" occurs a second time in the same object ' +
        "(first at line 1, column 3)",
    );
  });

  it("rejects UTF-16", async () => {
    const text = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("[]", "utf16le")]);
    await expect(readSurveys(snapshotWith("utf16", text))).rejects.toThrow(/UTF-16/);
  });

  it("reads a UTF-8 file with a byte-order mark", async () => {
    const dir = snapshotWith("bom", '\ufeff[{"id":"s1","name":"Memnuniyet","questions":[]}]');
    expect([...(await readSurveys(dir)).keys()]).toEqual(["s1"]);
  });
});
