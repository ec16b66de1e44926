import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { xmlIdFor } from "../bridge/src/core/xml-id.js";
import { planSnapshot, type PlannedSnapshot } from "./support/plan-snapshot.js";

const work = mkdtempSync(join(tmpdir(), "reader-joined-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let plan: PlannedSnapshot;

beforeAll(async () => {
  plan = await planSnapshot(work, {
    // Two CRLF exports pasted together, the first ending in a bare CR.
    "users/pasted.csv": "extId,name,city\r\nu1,Ali,Izmir\ru2,Veli,Ankara\r\nu3,Can,Mersin\r\n",
    // Two exports joined with the second one's header line.
    "users/joined.csv": "extId,name,city\nu4,Ayşe,Bursa\nextId,name,city\nu5,Efe,Adana\n",
  });
});

function city(extId: string): unknown {
  return plan.contacts.get(xmlIdFor("user", extId))?.city;
}

describe("exports joined into one file", () => {
  it("end a record at a bare CR between CRLF lines", () => {
    expect(city("u1")).toBe("Izmir");
    expect(city("u2")).toBe("Ankara");
    expect(city("u3")).toBe("Mersin");
  });

  it("reject a repeated header line instead of planning it as a user", () => {
    expect(plan.contacts.has(xmlIdFor("user", "extId"))).toBe(false);
    expect(plan.quarantine.map((row) => [row.file, row.line, row.value, row.reason])).toEqual([
      [
        "users/joined.csv",
        "3",
        "extId | name | city",
        "row rejected: it repeats the header line, as when two exports are joined into one file",
      ],
    ]);
  });

  it("count every row", () => {
    const phase = plan.reconciliation.phases.find((candidate) => candidate.name === "contacts");
    expect([phase?.read, phase?.planned]).toEqual([6, 5]);
  });
});
