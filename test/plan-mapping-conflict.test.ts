import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { xmlIdFor } from "../bridge/src/core/xml-id.js";
import type { Mapping } from "../bridge/src/mapping/types.js";
import { writeFiles } from "./input-support.js";
import { runCli } from "./support/cli.js";

const work = mkdtempSync(join(tmpdir(), "plan-mapping-conflict-"));
const snapshot = join(work, "snapshot");
const out = join(work, "out");
afterAll(() => rmSync(work, { recursive: true, force: true }));

let contacts = new Map<string, Record<string, unknown>>();
let flags: Record<string, string>[] = [];
let quarantine: Record<string, string>[] = [];

beforeAll(async () => {
  writeFiles(snapshot, {
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
  });
  const mappingFile = join(out, "mapping.json");
  expect((await runCli(["map", snapshot, "--out", out])).code).toBe(0);
  // A reviewer sends the note to the tier's field, as if to merge the two.
  const mapping = JSON.parse(readFileSync(mappingFile, "utf8")) as Mapping;
  const tier = mapping.entries.find((entry) => entry.source.name === "membershipTier");
  for (const entry of mapping.entries) {
    if (entry.source.name === "customerNote" && tier) entry.target = { ...tier.target };
  }
  writeFileSync(mappingFile, JSON.stringify(mapping, null, 2));
  expect(
    (await runCli(["map", snapshot, "--confirm", "--by", "test", "--mapping", mappingFile])).code,
  ).toBe(0);
  const plan = await runCli(["plan", snapshot, "--out", out, "--no-progress"]);
  expect(plan.stderr).toBe("");
  expect(plan.code).toBe(0);
  const lines = readFileSync(join(out, "plan", "contacts.ndjson"), "utf8").split("\n");
  contacts = new Map(
    lines
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { xml_id: string; values: Record<string, unknown> })
      .map((row) => [row.xml_id, row.values]),
  );
  flags = parse(readFileSync(join(out, "flags.csv")), { columns: true }) as Record<
    string,
    string
  >[];
  quarantine = parse(readFileSync(join(out, "quarantine.csv")), { columns: true }) as Record<
    string,
    string
  >[];
});

function field(extId: string): unknown {
  return contacts.get(xmlIdFor("user", extId))?.x_netmera_membership_tier;
}

describe("two columns mapped to one field", () => {
  it("keep the first column's value", () => {
    expect(field("u1")).toBe("gold");
    expect(field("u2")).toBe("silver");
  });

  it("report the other value as dropped, with a flag", () => {
    const dropped = quarantine.filter((row) => row.column === "customerNote");
    expect(dropped.map((row) => [row.line, row.value, row.reason])).toEqual([
      [
        "2",
        "call before noon",
        'value dropped: the mapping also sends column "membershipTier" to x_netmera_membership_tier, ' +
          'and that value is kept; map each column to its own field, or set one to "skip"; ' +
          "the contact is planned without it",
      ],
    ]);
    const flagged = flags.filter((row) => row.flag === "mapping_conflict");
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
