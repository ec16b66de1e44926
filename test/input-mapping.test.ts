import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Mapping, MappingEntry } from "../bridge/src/mapping/types.js";
import { writeFiles } from "./input-support.js";
import { runCli } from "./support/cli.js";

const SAMPLE = join(import.meta.dirname, "../samples/small");
const work = mkdtempSync(join(tmpdir(), "input-mapping-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function run(args: string[]) {
  const { code, stdout, stderr } = await runCli(args);
  return { code, out: stdout, err: stderr };
}

function readMapping(dir: string): Mapping {
  return JSON.parse(readFileSync(join(dir, "mapping.json"), "utf8")) as Mapping;
}

function column(mapping: Mapping, header: string): MappingEntry {
  const entry = mapping.entries.find((e) => e.source.kind === "column" && e.source.name === header);
  if (!entry) throw new Error(`no column entry for ${header}`);
  return entry;
}

/**
 * Attribute and column entries that would write values but name no field: each one is a defect
 * of the proposal. (File entries name a model only, by design.)
 */
function emptyTargets(mapping: Mapping): MappingEntry[] {
  return mapping.entries.filter(
    (entry) =>
      (entry.source.kind === "attribute" || entry.source.kind === "column") &&
      ["create", "existing", "tag"].includes(entry.target.action) &&
      (entry.target.field === null || entry.target.field === ""),
  );
}

describe("snapshot without profile-attributes.json", () => {
  const snapshot = join(work, "no-definitions");
  const out = join(work, "no-definitions-out");
  let mapping: Mapping;
  let mapErr: string;

  beforeAll(async () => {
    writeFiles(snapshot, {
      "users/export.csv":
        "External ID;Name;Surname;Email;MSISDN;City;Gender;tier;Device Type;OS\n" +
        "u1;Ali;Kaya;ali@example.com;05321234567;Ankara;1;gold;ANDROID;13\n" +
        "u2;Ece;Er;ece@example.com;05331234567;Bursa;0;silver;IOS;16.7\n",
      "users/phones.csv": "extId,Phone\nu1,05321234567\n",
    });
    const result = await run(["map", snapshot, "--out", out]);
    expect(result.code).toBe(0);
    mapErr = result.err;
    mapping = readMapping(out);
  });

  it("map warns naming the missing file", () => {
    expect(mapErr).toContain(
      `warning: ${join(snapshot, "profile-attributes.json")} is missing; columns are mapped by ` +
        "header meaning only (Email, Name, MSISDN …), and custom columns get low confidence " +
        "and review marks",
    );
  });

  it("audit warns naming the missing file", async () => {
    const result = await run(["audit", snapshot, "--out", join(work, "no-definitions-audit")]);
    expect(result.code).toBe(0);
    expect(result.err).toContain(
      `warning: ${join(snapshot, "profile-attributes.json")} is missing`,
    );
  });

  it.each([
    ["Email", "email"],
    ["Name", "name"],
    ["Surname", "name"],
    ["MSISDN", "mobile"],
    ["Phone", "mobile"],
    ["External ID", "netmera_external_id"],
  ])("maps %s to %s by header meaning", (header, field) => {
    const entry = column(mapping, header);
    expect(entry.target.field).toBe(field);
    expect(entry.target.action).toBe("existing");
    expect(entry.review).toBe(false);
  });

  it("maps standard headers to standard targets with a review mark", () => {
    const city = column(mapping, "City");
    expect(city.target).toEqual({
      model: "res.partner",
      field: "city",
      type: "char",
      action: "existing",
    });
    expect(city.review).toBe(true);
    expect(city.confidence).toBe(0.6);
    expect(column(mapping, "Gender").target.field).toBe("x_netmera_gender");
  });

  it("gives custom columns low confidence and a review mark", () => {
    const tier = column(mapping, "tier");
    expect(tier.target.field).toBe("x_netmera_tier");
    expect(tier.confidence).toBeLessThanOrEqual(0.3);
    expect(tier.review).toBe(true);
  });

  it("proposes no empty target", () => {
    expect(emptyTargets(mapping)).toEqual([]);
  });

  it("keeps the OS version out of netmera_os", () => {
    const os = column(mapping, "OS");
    expect(os.source.meaning).toBe("osVersion");
    expect(os.target.action).toBe("skip");
    expect(os.target.field).toBeNull();
  });
});

describe("sample snapshot mapping", () => {
  it("proposes no empty target and skips the OS version column", async () => {
    const out = join(work, "sample-out");
    const result = await run(["map", SAMPLE, "--out", out]);
    expect(result.code).toBe(0);
    expect(result.err).toBe("");
    const mapping = readMapping(out);
    expect(emptyTargets(mapping)).toEqual([]);
    expect(column(mapping, "OS").target.action).toBe("skip");
    const netmeraOs = mapping.entries
      .filter((entry) => entry.target.field === "netmera_os")
      .map((entry) => entry.source.name);
    expect(netmeraOs).toEqual(["platform"]);
  });
});
