import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { confirmMapping, loadMapping, saveMapping } from "../bridge/src/mapping/store.js";
import { computeSnapshotHash } from "../bridge/src/snapshot/snapshot.js";
import { runCli } from "./support/cli.js";

const FIXTURE = join(import.meta.dirname, "fixtures/reader/plan-basic");
const MAPPING = join(import.meta.dirname, "fixtures/reader/plan-basic.mapping.json");
const work = mkdtempSync(join(tmpdir(), "reader-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function run(args: string[]) {
  const { code, stdout, stderr } = await runCli(args);
  return { code, out: stdout, err: stderr };
}

describe("netmera-odoo plan", () => {
  it("prints the reconciliation table and warns about an unconfirmed mapping", async () => {
    const out = join(work, "unconfirmed");
    const {
      code,
      out: stdout,
      err,
    } = await run(["plan", FIXTURE, "--mapping", MAPPING, "--out", out]);
    expect(code).toBe(0);
    expect(err).toContain(
      "warning: the mapping has not been confirmed; plan ran anyway because it writes nothing to Odoo, but migrate will refuse this mapping until it is confirmed",
    );
    const lines = stdout.split("\n");
    expect(lines[0]).toMatch(/^phase\s+read\s+planned\s+quarantined\s+skipped\s+values dropped$/);
    expect(lines.find((line) => line.startsWith("contacts"))).toMatch(
      /^contacts\s+13\s+8\s+1\s+4\s+6$/,
    );
    expect(stdout).toContain("contacts: 3 skipped, merged into an earlier row with the same extId");
    expect(stdout).toContain(`plan written to ${out}: 11 quarantine rows, 12 flags`);
    expect(
      JSON.parse(readFileSync(join(out, "plan", "manifest.json"), "utf8")).mappingConfirmed,
    ).toBe(false);
  });

  it("prints no warning for a mapping confirmed for this snapshot", async () => {
    const confirmedFile = join(work, "confirmed.json");
    const mapping = await loadMapping(MAPPING);
    const snapshotHash = await computeSnapshotHash(FIXTURE, silentLogger);
    await saveMapping(confirmedFile, confirmMapping(mapping, "Ayşe Admin", snapshotHash));
    const out = join(work, "confirmed");
    const { code, err } = await run(["plan", FIXTURE, "--mapping", confirmedFile, "--out", out]);
    expect(code).toBe(0);
    expect(err).not.toContain("warning:");
    expect(
      JSON.parse(readFileSync(join(out, "plan", "manifest.json"), "utf8")).mappingConfirmed,
    ).toBe(true);
  });

  it("warns when the confirmed mapping was edited afterwards", async () => {
    const edited = join(work, "edited.json");
    const mapping = await loadMapping(MAPPING);
    const snapshotHash = await computeSnapshotHash(FIXTURE, silentLogger);
    const confirmed = confirmMapping(mapping, "Ayşe Admin", snapshotHash);
    confirmed.settings.arraySeparator = "|";
    writeFileSync(edited, JSON.stringify(confirmed));
    const { code, err } = await run([
      "plan",
      FIXTURE,
      "--mapping",
      edited,
      "--out",
      join(work, "edited"),
    ]);
    expect(code).toBe(0);
    expect(err).toMatch(/^warning: the mapping was edited after Ayşe Admin confirmed it at /);
  });

  it("fails with a clear message for a missing mapping", async () => {
    const { code, err } = await run([
      "plan",
      FIXTURE,
      "--mapping",
      join(work, "none.json"),
      "--out",
      join(work, "x"),
    ]);
    expect(code).toBe(1);
    expect(err).toContain("none.json cannot be read (ENOENT)");
  });
});
