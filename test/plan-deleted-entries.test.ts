import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Mapping } from "../bridge/src/mapping/types.js";
import { writeFiles } from "./input-support.js";
import { runCli } from "./support/cli.js";

const work = mkdtempSync(join(tmpdir(), "plan-deleted-entries-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Plan a two-user snapshot after deleting the mapping entries `drop` selects. */
async function planWithout(name: string, drop: (entry: Mapping["entries"][number]) => boolean) {
  const snapshot = join(work, name, "snapshot");
  const out = join(work, name, "out");
  writeFiles(snapshot, {
    "users/people.csv":
      "extId,Email,MSISDN,City\nu1,u1@example.com,+905321112233,Bursa\nu2,u2@example.com,,Ankara\n",
  });
  const mappingFile = join(out, "mapping.json");
  expect((await runCli(["map", snapshot, "--out", out])).code).toBe(0);
  const mapping = JSON.parse(readFileSync(mappingFile, "utf8")) as Mapping;
  mapping.entries = mapping.entries.filter((entry) => !drop(entry));
  writeFileSync(mappingFile, JSON.stringify(mapping, null, 2));
  expect(
    (await runCli(["map", snapshot, "--confirm", "--by", "test", "--mapping", mappingFile])).code,
  ).toBe(0);
  expect((await runCli(["plan", snapshot, "--out", out, "--no-progress"])).code).toBe(0);
  return readFileSync(join(out, "plan", "contacts.ndjson"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { values: Record<string, unknown> }).values);
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
