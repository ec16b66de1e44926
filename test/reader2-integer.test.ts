import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { inferTarget } from "../bridge/src/mapping/infer-type.js";
import { loadMapping } from "../bridge/src/mapping/store.js";
import { ValueStats } from "../bridge/src/mapping/value-stats.js";
import { writeFiles, writeSnapshotManifest } from "./input-support.js";
import { runCli } from "./support/cli.js";

const FIXTURE = join(import.meta.dirname, "fixtures/reader/plan-basic");
const work = mkdtempSync(join(tmpdir(), "reader2-integer-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function run(args: string[]) {
  const { code, stdout, stderr } = await runCli(args);
  return { code, out: stdout, err: stderr };
}

function statsOf(values: string[]): ValueStats {
  const stats = new ValueStats("Europe/Istanbul");
  for (const value of values) {
    stats.add(value);
  }
  return stats;
}

function infer(dataType: string | undefined, values: string[]) {
  return inferTarget({
    fieldName: "x_netmera_points",
    dataType,
    isArray: false,
    stats: statsOf(values),
    ownerEmails: new Set(),
    companyIds: new Set(),
  });
}

describe("INTEGER attribute type", () => {
  it("stays integer despite a decimal", () => {
    const proposal = infer("INTEGER", ["12", "1.5", "7", "99999999999999999999"]);
    expect(proposal.target.type).toBe("integer");
    expect(proposal.review).toBe(true);
    expect(proposal.reason).toBe(
      "INTEGER; 1 of 4 values have decimals and 1 exceed Odoo's 32-bit integer range, " +
        "which plan quarantines",
    );
  });

  it("stays float for a NUMBER", () => {
    const proposal = infer("NUMBER", ["12", "1.5"]);
    expect(proposal.target.type).toBe("float");
  });

  it("is still inferred without a definition", () => {
    expect(infer(undefined, ["12", "1.5"]).target.type).toBe("float");
    expect(infer(undefined, ["12", "15"]).target.type).toBe("integer");
  });
});

describe("plan of an INTEGER column", () => {
  it("quarantines fractions and overflow", async () => {
    const root = join(work, "points");
    cpSync(FIXTURE, root, { recursive: true });
    writeFiles(root, {
      "users/points.csv":
        "externalId,email,loyaltyPoints\n" +
        "P1,p1@example.com,15\n" +
        "P2,p2@example.com,1.5\n" +
        "P3,p3@example.com,99999999999999999999\n" +
        "P4,p4@example.com,-2147483648\n",
    });
    await writeSnapshotManifest(root);
    const out = join(work, "points-out");
    expect((await run(["map", root, "--out", out])).code).toBe(0);
    const mapping = await loadMapping(join(out, "mapping.json"));
    const entry = mapping.entries.find(
      (e) => e.source.kind === "attribute" && e.source.name === "loyaltyPoints",
    );
    expect(entry?.target.type).toBe("integer");

    expect((await run(["plan", root, "--out", out])).code).toBe(0);
    const schema = readFileSync(join(out, "plan/schema.ndjson"), "utf8");
    expect(schema).toContain('"name":"x_netmera_loyalty_points","ttype":"integer"');
    const contacts = readFileSync(join(out, "plan/contacts.ndjson"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { values: Record<string, unknown> });
    const points = (extId: string) =>
      contacts.find((row) => row.values.netmera_external_id === extId)?.values
        .x_netmera_loyalty_points;
    expect(points("P1")).toBe(15);
    expect(points("P2")).toBeNull();
    expect(points("P3")).toBeNull();
    expect(points("P4")).toBe(-2147483648);

    const quarantine = readFileSync(join(out, "quarantine.csv"), "utf8").split("\n");
    expect(quarantine).toContain(
      "users/points.csv,3,loyaltyPoints,1.5,value dropped: is not a whole number (the field " +
        "is an integer field); the contact is planned without it",
    );
    expect(quarantine).toContain(
      "users/points.csv,4,loyaltyPoints,99999999999999999999,value dropped: is outside the " +
        "range of an Odoo integer field (-2147483648 to 2147483647); the contact is planned " +
        "without it",
    );
  });
});
