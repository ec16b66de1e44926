import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Mapping } from "../bridge/src/mapping/types.js";
import { planSnapshot } from "./support/plan-snapshot.js";

const work = mkdtempSync(join(tmpdir(), "plan-deleted-entries-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const USERS =
  "extId,Email,MSISDN,City\nu1,u1@example.com,+905321112233,Bursa\nu2,u2@example.com,,Ankara\n";

/** Plan a two-user snapshot after deleting the mapping entries `drop` selects. */
async function planWithout(name: string, drop: (entry: Mapping["entries"][number]) => boolean) {
  const plan = await planSnapshot(join(work, name), { "users/people.csv": USERS }, (mapping) => {
    mapping.entries = mapping.entries.filter((entry) => !drop(entry));
  });
  return plan.rows.map((row) => row.values);
}

describe("mapping entries a reviewer deleted", () => {
  it("keep e-mail and phone out of the plan", async () => {
    const contacts = await planWithout(
      "no-identity",
      (entry) => entry.target.field === "email" || entry.target.field === "mobile",
    );
    expect(contacts.map((values) => [values.email, values.mobile, values.city])).toEqual([
      [undefined, undefined, "Bursa"],
      [undefined, undefined, "Ankara"],
    ]);
  });

  it("leave the other columns planned", async () => {
    const contacts = await planWithout("none", () => false);
    expect(contacts.map((values) => [values.email, values.mobile])).toEqual([
      ["u1@example.com", "+905321112233"],
      ["u2@example.com", undefined],
    ]);
  });
});
