import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { xmlIdFor } from "../bridge/src/core/xml-id.js";
import { writeFiles } from "./input-support.js";
import { runCli } from "./support/cli.js";

const work = mkdtempSync(join(tmpdir(), "plan-number-ambiguity-"));
const snapshot = join(work, "snapshot");
const out = join(work, "out");
afterAll(() => rmSync(work, { recursive: true, force: true }));

let contacts = new Map<string, Record<string, unknown>>();
let quarantine: Record<string, string>[] = [];

beforeAll(async () => {
  writeFiles(snapshot, {
    "profile-attributes.json": JSON.stringify({
      customProfileAttributes: [{ code: "loyaltyPoints", dataType: "INTEGER", name: "Points" }],
    }),
    // "1.000" is 1 with a decimal point or 1000 with a point grouping; nothing settles which.
    "users/a.csv": "extId;loyaltyPoints\nu1;1.000\nu2;2\nu3;3\n",
  });
  const mapping = join(out, "mapping.json");
  expect((await runCli(["map", snapshot, "--out", out])).code).toBe(0);
  expect(
    (await runCli(["map", snapshot, "--confirm", "--by", "test", "--mapping", mapping])).code,
  ).toBe(0);
  const plan = await runCli(["plan", snapshot, "--out", out, "--no-progress"]);
  expect(plan.code).toBe(0);
  const lines = readFileSync(join(out, "plan", "contacts.ndjson"), "utf8").split("\n");
  contacts = new Map(
    lines
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { xml_id: string; values: Record<string, unknown> })
      .map((row) => [row.xml_id, row.values]),
  );
  quarantine = parse(readFileSync(join(out, "quarantine.csv")), { columns: true }) as Record<
    string,
    string
  >[];
});

describe("a column whose number format is undecided", () => {
  it("keeps values that read the same in both formats", () => {
    expect(contacts.get(xmlIdFor("user", "u2"))?.x_netmera_loyalty_points).toBe(2);
    expect(contacts.get(xmlIdFor("user", "u3"))?.x_netmera_loyalty_points).toBe(3);
  });

  it("drops only the value that reads two ways", () => {
    expect(contacts.get(xmlIdFor("user", "u1"))?.x_netmera_loyalty_points).toBeNull();
    expect(quarantine.map((row) => [row.line, row.column, row.value])).toEqual([
      ["2", "loyaltyPoints", "1.000"],
    ]);
  });
});
