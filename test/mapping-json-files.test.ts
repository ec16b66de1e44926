import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeFiles } from "./input-support.js";
import { runCli } from "./support/cli.js";

const root = mkdtempSync(join(tmpdir(), "mapping-json-files-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("map and the snapshot's JSON files", () => {
  it("stops at a campaigns.json cut short", async () => {
    const snapshot = join(root, "cut");
    writeFiles(snapshot, {
      "users/a.csv": "extId,email\nu1,u1@example.com\n",
      "campaigns.json": '[\n  {"id": "c1", "name": "Bahar"},\n  {"id": "c2", "na',
    });
    const result = await runCli(["map", snapshot, "--out", join(root, "cut-out")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "error: campaigns.json: line 3, column 19: invalid JSON (the file ends inside a string)",
    );
  });

  it("stops at a key written twice", async () => {
    const snapshot = join(root, "twice");
    writeFiles(snapshot, {
      "users/a.csv": "extId,email\nu1,u1@example.com\n",
      "journeys.json": '[{"id": 1, "name": "Hoş geldin", "name": "Geri dön"}]',
    });
    const result = await runCli(["map", snapshot, "--out", join(root, "twice-out")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'error: journeys.json: line 1, column 34: the key "name" occurs a second time',
    );
  });

  it("maps a snapshot whose JSON files are whole", async () => {
    const snapshot = join(root, "whole");
    writeFiles(snapshot, {
      "users/a.csv": "extId,email\nu1,u1@example.com\n",
      "campaigns.json": '[{"id": "c1", "name": "Bahar"}]',
    });
    const result = await runCli(["map", snapshot, "--out", join(root, "whole-out")]);
    expect(result.stderr).not.toContain("error");
    expect(result.code).toBe(0);
  });
});
