import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSnapshot } from "../scripts/lib/generator/generate.js";
import { runCli, runCliOrThrow } from "./support/cli.js";

let work: string;
let snapshot: string;
let proposal: {
  entries: { source: { kind: string; name: string }; target: Record<string, unknown> }[];
};

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "mapping-targets-"));
  snapshot = join(work, "snapshot");
  generateSnapshot({ users: 20, eventsPerUser: 1, seed: "targets", out: snapshot });
  await runCliOrThrow(["map", snapshot, "--out", work]);
  proposal = JSON.parse(readFileSync(join(work, "mapping.json"), "utf8")) as typeof proposal;
}, 60_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Confirm a copy of the proposal with one entry's target changed. */
async function confirmEdited(target: Record<string, unknown>) {
  const index = proposal.entries.findIndex(
    (entry) => entry.source.kind === "attribute" && entry.target.action === "create",
  );
  const edited = structuredClone(proposal);
  const entry = edited.entries[index];
  if (!entry) throw new Error("the proposal has no created field");
  entry.target = { ...entry.target, ...target };
  const path = join(work, `edited-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(edited));
  const result = await runCli(["map", snapshot, "--confirm", "--by", "Test", "--mapping", path]);
  return { result, index };
}

describe("edited mapping targets", () => {
  it("rejects a created field without an x_ name", async () => {
    const { result, index } = await confirmEdited({ field: "comment", action: "create" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `entries.${index}.target.field: a field that netmera-odoo creates needs an x_ name, not "comment"; use action "existing" for a field Odoo has`,
    );
  });

  it("rejects a field name Odoo cannot have", async () => {
    const field = 'x_netmera_a"; DROP TABLE res_partner; --';
    const { result, index } = await confirmEdited({ field });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `entries.${index}.target.field: "${field}" is not an Odoo field name`,
    );
  });

  it("rejects a contact value sent to another model", async () => {
    const { result, index } = await confirmEdited({
      model: "res.users",
      field: "password",
      action: "existing",
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `entries.${index}.target.model: an attribute goes to contacts (res.partner) or their tags (res.partner.category), not to res.users`,
    );
  });

  it("accepts an existing standard field", async () => {
    const { result } = await confirmEdited({ field: "comment", action: "existing" });
    expect(result.code, result.stderr).toBe(0);
  });
});

describe("map arguments", () => {
  it("rejects a mapping file inside the snapshot", async () => {
    const result = await runCli(["map", snapshot, "--out", join(snapshot, "work")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `${join(snapshot, "work", "mapping.json")} is inside the snapshot folder ${snapshot}, where it would change the snapshot's hash`,
    );
    const confirm = await runCli([
      "map",
      snapshot,
      "--confirm",
      "--by",
      "T",
      "--mapping",
      join(snapshot, "m.json"),
    ]);
    expect(confirm.code).toBe(1);
    expect(confirm.stderr).toContain("is inside the snapshot folder");
  });

  it.each([
    ["an escape sequence", "Evil\u001b[31m"],
    ["a line break", "Evil\nconfirmed by CEO"],
    ["a right-to-left override", "Ayşe\u202eteY"],
  ])("rejects a reviewer name with %s", async (_label, name) => {
    const result = await runCli([
      "map",
      snapshot,
      "--confirm",
      "--by",
      name,
      "--mapping",
      join(work, "mapping.json"),
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `--by ${JSON.stringify(name)} contains control or invisible characters`,
    );
  });
});
