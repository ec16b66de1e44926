import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { xmlIdFor } from "../bridge/src/core/xml-id.js";
import { planSnapshot, type PlannedSnapshot } from "./support/plan-snapshot.js";

const work = mkdtempSync(join(tmpdir(), "plan-mapping-conflict-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let plan: PlannedSnapshot;

beforeAll(async () => {
  const files = {
    "profile-attributes.json": JSON.stringify({
      customProfileAttributes: [
        { code: "membershipTier", dataType: "STRING", name: "Tier" },
        { code: "customerNote", dataType: "STRING", name: "Note" },
      ],
    }),
    "users/people.csv":
      "extId,membershipTier,customerNote\n" +
      "u1,gold,call before noon\n" +
      "u2,silver,silver\n" +
      "u3,,only a note\n",
  };
  // A reviewer sends the note to the tier's field, as if to merge the two.
  plan = await planSnapshot(work, files, (mapping) => {
    const tier = mapping.entries.find((entry) => entry.source.name === "membershipTier");
    for (const entry of mapping.entries) {
      if (entry.source.name === "customerNote" && tier) entry.target = { ...tier.target };
    }
  });
});

function field(extId: string): unknown {
  return plan.contacts.get(xmlIdFor("user", extId))?.x_netmera_membership_tier;
}

describe("two columns mapped to one field", () => {
  it("keep the first column's value", () => {
    expect(field("u1")).toBe("gold");
    expect(field("u2")).toBe("silver");
  });

  it("report the other value as dropped, with a flag", () => {
    const dropped = plan.quarantine.filter((row) => row.column === "customerNote");
    expect(dropped.map((row) => [row.line, row.value, row.reason])).toEqual([
      [
        "2",
        "call before noon",
        'value dropped: the mapping also sends column "membershipTier" to x_netmera_membership_tier, ' +
          'and that value is kept; map each column to its own field, or set one to "skip"; ' +
          "the contact is planned without it",
      ],
    ]);
    const flagged = plan.flags.filter((row) => row.flag === "mapping_conflict");
    expect(flagged.map((row) => [row.xml_id, row.detail])).toEqual([
      [
        xmlIdFor("user", "u1"),
        'columns "membershipTier" and "customerNote" are both mapped to x_netmera_membership_tier; the first is kept',
      ],
    ]);
  });

  it("fill the field from the second column when the first is empty", () => {
    expect(field("u3")).toBe("only a note");
  });
});
