import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planSnapshot, type PlannedSnapshot } from "./support/plan-snapshot.js";

const root = mkdtempSync(join(tmpdir(), "plan-anonymous-key-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const HEADER = "extId,name,city,lifetimeValue,model";
const FIRST = ",,Bursa,27137.85,iPhone15,3";
const SECOND = ",,İzmir,37261.19,SM-A525F";

/** Contacts without extId, e-mail or MSISDN, by their lifetime value. */
function anonymousByValue(plan: PlannedSnapshot): Map<string, string> {
  const byValue = new Map<string, string>();
  for (const row of plan.rows) {
    if (row.values.netmera_needs_enrichment === true) {
      byValue.set(String(row.values.x_netmera_lifetime_value), row.xml_id);
    }
  }
  return byValue;
}

describe("users without extId, e-mail or MSISDN", () => {
  let before: PlannedSnapshot;
  let after: PlannedSnapshot;
  let twice: PlannedSnapshot;

  beforeAll(async () => {
    const quoted = (line: string) => line.replace("iPhone15,3", '"iPhone15,3"');
    before = await planSnapshot(join(root, "before"), {
      "users/export.csv": [HEADER, "u1,Ayşe,Ankara,10.5,", quoted(FIRST), SECOND, ""].join("\n"),
    });
    // The next export has a new user above the two rows, so both move down one line.
    after = await planSnapshot(join(root, "after"), {
      "users/export.csv": [
        HEADER,
        "u0,Can,Adana,1,",
        "u1,Ayşe,Ankara,10.5,",
        quoted(FIRST),
        SECOND,
        "",
      ].join("\n"),
    });
    twice = await planSnapshot(join(root, "twice"), {
      "users/export.csv": [HEADER, SECOND, "u1,Ayşe,Ankara,10.5,", SECOND, ""].join("\n"),
      "users/segment.csv": [HEADER, SECOND, ""].join("\n"),
    });
  }, 120_000);

  it("keeps external IDs when rows move", () => {
    const first = anonymousByValue(before);
    const second = anonymousByValue(after);
    expect([...first.keys()].sort()).toEqual(["27137.85", "37261.19"]);
    expect(second.get("27137.85")).toBe(first.get("27137.85"));
    expect(second.get("37261.19")).toBe(first.get("37261.19"));
    expect(first.get("27137.85")).not.toBe(first.get("37261.19"));
  });

  it("merges rows with the same values", () => {
    expect(anonymousByValue(twice).size).toBe(1);
    const contacts = twice.reconciliation.phases.find((phase) => phase.name === "contacts");
    expect(contacts?.read).toBe(4);
    expect(contacts?.planned).toBe(2);
    const phases = twice.reconciliation.phases as unknown as {
      name: string;
      skippedReasons: Record<string, number>;
    }[];
    expect(phases.find((phase) => phase.name === "contacts")?.skippedReasons).toEqual({
      "merged into an earlier row without extId, e-mail or MSISDN that has the same values": 2,
    });
  });

  it("says why such a contact is known by its values", () => {
    const details = before.flags.filter((flag) => flag.flag === "anonymous").map((f) => f.detail);
    expect(details).toEqual([
      "no extId, e-mail or MSISDN, so the contact is known by its values and a re-sync after " +
        "any of them changes creates a new contact; it needs enrichment and has a placeholder name",
      "no extId, e-mail or MSISDN, so the contact is known by its values and a re-sync after " +
        "any of them changes creates a new contact; it needs enrichment and has a placeholder name",
    ]);
  });
});
