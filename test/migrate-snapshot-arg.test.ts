/**
 * `migrate SNAPSHOT --plan DIR` opens SNAPSHOT and refuses a plan made from another snapshot,
 * before anything reaches Odoo.
 */
import { appendFileSync, cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hashSnapshotFiles, snapshotHashOf } from "../bridge/src/snapshot/manifest.js";
import { copyFixturePlan, runCli } from "./migrate-support.js";

const env = { ODOO_PASSWORD: "admin" };
// Port 9 on loopback: nothing listens, so a call that got through would fail to connect.
const NOWHERE = ["--odoo-url", "http://127.0.0.1:9", "--db", "mig2_none", "--user", "admin"];
const FIXTURE_HASH = "2ed43866293c9df044961620d849e608984b413728954086e16cebfb186d7f71";

/** A newer pull of the fixture snapshot: one more user, and a manifest that records it. */
async function newerSnapshot(planDir: string): Promise<{ dir: string; hash: string }> {
  const dir = join(mkdtempSync(join(tmpdir(), "mig2-snap-")), "snapshot-2");
  cpSync(join(planDir, "snapshot"), dir, { recursive: true });
  appendFileSync(join(dir, "users", "people-export.csv"), "u-002,Mehmet,Kaya,m@example.com.tr,7\n");
  const files = await hashSnapshotFiles(dir);
  const manifest = {
    app: "fixture-app",
    pulledAt: "2024-07-01T08:00:00.000Z",
    sourceTimeZone: "Europe/Istanbul",
    files,
  };
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2));
  return { dir, hash: snapshotHashOf(files) };
}

function migrateArgs(snapshot: string, planDir: string): string[] {
  const mapping = join(planDir, "mapping.json");
  return [
    "migrate",
    snapshot,
    "--plan",
    planDir,
    "--mapping",
    mapping,
    ...NOWHERE,
    "--timeout",
    "2",
  ];
}

describe("migrate's snapshot argument with --plan", () => {
  it("refuses a newer snapshot than the plan's, naming both hashes and the plan command", async () => {
    const planDir = copyFixturePlan();
    const newer = await newerSnapshot(planDir);
    expect(newer.hash).not.toBe(FIXTURE_HASH);

    const result = await runCli(migrateArgs(newer.dir, planDir), env);

    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      `error: the plan in ${planDir} was made from another snapshot (plan 2ed43866293c, ` +
        `${newer.dir} ${newer.hash.slice(0, 12)}), so nothing was sent to Odoo. Plan this ` +
        `snapshot first (netmera-odoo plan ${newer.dir} --mapping ${join(planDir, "mapping.json")} ` +
        `--out ${planDir}), then run migrate again`,
    );
    expect(result.stderr).not.toContain("127.0.0.1:9");
  });

  it("accepts the snapshot the plan was made from and goes on to Odoo", async () => {
    const planDir = copyFixturePlan();

    const result = await runCli(migrateArgs(join(planDir, "snapshot"), planDir), env);

    // Past the snapshot check the next step is the Odoo preflight, which finds nothing there.
    expect(result.code).not.toBe(0);
    expect(result.stderr).not.toContain("another snapshot");
    expect(result.stderr).toMatch(/cannot reach Odoo at http:\/\/127\.0\.0\.1:9/);
  });

  it("refuses a snapshot whose file changed after the pull", async () => {
    const planDir = copyFixturePlan();
    appendFileSync(join(planDir, "snapshot", "users", "people-export.csv"), "u-003,X,Y,x@y.z,1\n");

    const result = await runCli(migrateArgs(join(planDir, "snapshot"), planDir), env);

    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("users/people-export.csv");
    expect(result.stderr).not.toContain("127.0.0.1:9");
  });

  it("keeps the one-line error for a missing snapshot folder", async () => {
    const planDir = copyFixturePlan();
    const missing = join(planDir, "no-such-snapshot");

    const result = await runCli(migrateArgs(missing, planDir), env);

    expect(result.code).not.toBe(0);
    const errors = result.stderr.split("\n").filter((line) => line.startsWith("error:"));
    expect(errors).toEqual([`error: snapshot folder ${missing} does not exist`]);
  });
});
