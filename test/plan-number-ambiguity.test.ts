import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { xmlIdFor } from "../bridge/src/core/xml-id.js";
import { planSnapshot, type PlannedSnapshot } from "./support/plan-snapshot.js";

const work = mkdtempSync(join(tmpdir(), "plan-number-ambiguity-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let plan: PlannedSnapshot;

beforeAll(async () => {
  plan = await planSnapshot(work, {
    "profile-attributes.json": JSON.stringify({
      customProfileAttributes: [{ code: "loyaltyPoints", dataType: "INTEGER", name: "Points" }],
    }),
    // "1.000" is 1 with a decimal point or 1000 with a point grouping; nothing settles which.
    "users/a.csv": "extId;loyaltyPoints\nu1;1.000\nu2;2\nu3;3\n",
  });
});

function points(extId: string): unknown {
  return plan.contacts.get(xmlIdFor("user", extId))?.x_netmera_loyalty_points;
}

describe("a column whose number format is undecided", () => {
  it("keeps values that read the same in both formats", () => {
    expect(points("u2")).toBe(2);
    expect(points("u3")).toBe(3);
  });

  it("drops only the value that reads two ways", () => {
    expect(points("u1")).toBeNull();
    expect(plan.quarantine.map((row) => [row.line, row.column, row.value])).toEqual([
      ["2", "loyaltyPoints", "1.000"],
    ]);
  });
});
