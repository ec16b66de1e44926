import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runAudit } from "../bridge/src/audit/run-audit.js";
import { silentLogger } from "../bridge/src/core/log.js";
import {
  caseVariantDetail,
  ExtIdCaseIndex,
  foldExtIdCase,
} from "../bridge/src/snapshot/extid-case.js";
import { writeFiles, writeSnapshotManifest } from "./input-support.js";
import { runCli } from "./support/cli.js";

const FIXTURE = join(import.meta.dirname, "fixtures/reader/plan-basic");
const work = mkdtempSync(join(tmpdir(), "reader2-case-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function run(args: string[]) {
  const { code, stdout, stderr } = await runCli(args);
  return { code, out: stdout, err: stderr };
}

describe("extId case folding", () => {
  it.each([
    ["AYSE.K", "ayse.k"],
    ["AYŞE.K", "ayşe.k"],
    ["İSTANBUL-1", "istanbul-1"],
    ["ıstanbul-1", "istanbul-1"],
    ["Çağrı/42", "çağri/42"],
  ])("%s folds to %s", (extId, folded) => {
    expect(foldExtIdCase(extId)).toBe(folded);
  });
});

describe("case variant detail", () => {
  it("names a Unicode form difference", () => {
    const composed = "çağrı.öz".normalize("NFC");
    const decomposed = composed.normalize("NFD");
    expect(decomposed).not.toBe(composed);
    expect(caseVariantDetail({ extId: composed, xmlId: "x", others: [decomposed] })).toBe(
      `extId differs only in Unicode normalization (NFC or NFD) from ${decomposed}, so the ` +
        "two look the same; extIds are compared exactly, so each is its own contact: merge " +
        "them in Odoo if they are one person",
    );
  });
});

describe("ExtIdCaseIndex", () => {
  it("groups look-alikes past one batch", () => {
    const dir = mkdtempSync(join(work, "index-"));
    const index = new ExtIdCaseIndex(dir);
    for (let i = 0; i < 300; i += 1) {
      index.add(`user-${i}`, `x${i}`);
    }
    index.add("ayse.k", "x-lower");
    index.add("AYSE.K", "x-upper");
    index.add("Ayse.K", "x-mixed");
    index.add("İz", "x-iz");
    index.add("iz", "x-iz2");
    const variants = [...index.variants()];
    index.close();
    expect(variants).toEqual([
      { extId: "AYSE.K", xmlId: "x-upper", others: ["Ayse.K", "ayse.k"] },
      { extId: "Ayse.K", xmlId: "x-mixed", others: ["AYSE.K", "ayse.k"] },
      { extId: "ayse.k", xmlId: "x-lower", others: ["AYSE.K", "Ayse.K"] },
      { extId: "iz", xmlId: "x-iz2", others: ["İz"] },
      { extId: "İz", xmlId: "x-iz", others: ["iz"] },
    ]);
  });
});

describe("case variants in plan and audit", () => {
  const root = join(work, "snapshot");
  cpSync(FIXTURE, root, { recursive: true });
  writeFiles(root, {
    "users/more.csv":
      "externalId,name,email\nAYSE.K,Upper,upper@example.com\nbob,Bob,b@example.com\n",
  });

  it("plan flags each variant", async () => {
    await writeSnapshotManifest(root);
    const out = join(work, "plan");
    expect((await run(["map", root, "--out", out])).code).toBe(0);
    expect((await run(["plan", root, "--out", out])).code).toBe(0);
    const flags = readFileSync(join(out, "flags.csv"), "utf8")
      .split("\n")
      .filter((line) => line.includes(",extid_case_variant,"))
      .map((line) => line.replace(/^netmera_user_[a-z0-9_]+,/, "XMLID,"));
    const detail = (others: string) =>
      `"extId differs only in case from ${others}; extIds are case-sensitive, so each is its ` +
      'own contact: merge them in Odoo if they are one person"';
    expect(flags).toEqual([
      `XMLID,AYSE.K,extid_case_variant,${detail("Ayse.K, ayse.k")}`,
      `XMLID,Ayse.K,extid_case_variant,${detail("AYSE.K, ayse.k")}`,
      `XMLID,ayse.k,extid_case_variant,${detail("AYSE.K, Ayse.K")}`,
    ]);
    const contacts = readFileSync(join(out, "plan/contacts.ndjson"), "utf8");
    for (const extId of ["AYSE.K", "Ayse.K", "ayse.k"]) {
      expect(contacts).toContain(`"netmera_external_id":"${extId}"`);
    }
  });

  it("audit counts them", async () => {
    await writeSnapshotManifest(root);
    const out = join(work, "audit");
    const { report } = await runAudit(root, out, silentLogger);
    expect(report.users.caseVariants).toBe(3);
    expect(report.users.caseVariantSample).toEqual([["AYSE.K", "Ayse.K", "ayse.k"]]);
    const markdown = readFileSync(join(out, "audit.md"), "utf8");
    expect(markdown).toContain("| users whose extId differs from another only in case | 3 |");
    expect(markdown).toContain("| AYSE.K, Ayse.K, ayse.k |");
  });
});
