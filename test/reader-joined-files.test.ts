import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { xmlIdFor } from "../bridge/src/core/xml-id.js";
import { writeFiles } from "./input-support.js";
import { runCli } from "./support/cli.js";

const work = mkdtempSync(join(tmpdir(), "reader-joined-"));
const snapshot = join(work, "snapshot");
const out = join(work, "out");
afterAll(() => rmSync(work, { recursive: true, force: true }));

let contacts = new Map<string, Record<string, unknown>>();
let quarantine: Record<string, string>[] = [];
let reconciliation: { phases: { name: string; read: number; planned: number }[] };

beforeAll(async () => {
  writeFiles(snapshot, {
    // Two CRLF exports pasted together, the first ending in a bare CR.
    "users/pasted.csv": "extId,name,city\r\nu1,Ali,Izmir\ru2,Veli,Ankara\r\nu3,Can,Mersin\r\n",
    // Two exports joined with the second one's header line.
    "users/joined.csv": "extId,name,city\nu4,Ayşe,Bursa\nextId,name,city\nu5,Efe,Adana\n",
  });
  const mapping = join(out, "mapping.json");
  expect((await runCli(["map", snapshot, "--out", out])).code).toBe(0);
  expect(
    (await runCli(["map", snapshot, "--confirm", "--by", "test", "--mapping", mapping])).code,
  ).toBe(0);
  expect((await runCli(["plan", snapshot, "--out", out, "--no-progress"])).code).toBe(0);
  contacts = new Map(
    readFileSync(join(out, "plan", "contacts.ndjson"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { xml_id: string; values: Record<string, unknown> })
      .map((row) => [row.xml_id, row.values]),
  );
  quarantine = parse(readFileSync(join(out, "quarantine.csv")), { columns: true }) as Record<
    string,
    string
  >[];
  reconciliation = JSON.parse(readFileSync(join(out, "reconciliation.json"), "utf8")) as {
    phases: { name: string; read: number; planned: number }[];
  };
});

describe("exports joined into one file", () => {
  it("end a record at a bare CR between CRLF lines", () => {
    expect(contacts.get(xmlIdFor("user", "u1"))?.city).toBe("Izmir");
    expect(contacts.get(xmlIdFor("user", "u2"))?.city).toBe("Ankara");
    expect(contacts.get(xmlIdFor("user", "u3"))?.city).toBe("Mersin");
  });

  it("reject a repeated header line instead of planning it as a user", () => {
    expect(contacts.has(xmlIdFor("user", "extId"))).toBe(false);
    expect(quarantine.map((row) => [row.file, row.line, row.value, row.reason])).toEqual([
      [
        "users/joined.csv",
        "3",
        "extId | name | city",
        "row rejected: it repeats the header line, as when two exports are joined into one file",
      ],
    ]);
  });

  it("count every row", () => {
    const phase = reconciliation.phases.find((candidate) => candidate.name === "contacts");
    expect([phase?.read, phase?.planned]).toEqual([6, 5]);
  });
});
