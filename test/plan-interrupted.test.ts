import { spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSnapshot } from "../scripts/lib/generator/generate.js";
import { spawnCli } from "./migrate-support.js";
import { runCliOrThrow } from "./support/cli.js";

let work: string;
let snapshot: string;
let mapping: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "plan-interrupted-"));
  snapshot = join(work, "snapshot");
  // Large enough that plan runs for several seconds.
  generateSnapshot({ users: 20_000, eventsPerUser: 1, seed: "interrupted", out: snapshot });
  await runCliOrThrow(["map", snapshot, "--out", work]);
  mapping = join(work, "mapping.json");
}, 180_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function workDirs(out: string): string[] {
  return readdirSync(out).filter((name) => name.startsWith(".plan-"));
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (let waited = 0; waited < 120_000; waited += 50) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("an interrupted plan", () => {
  it("removes its work folder on SIGINT and keeps the previous plan", async () => {
    const out = join(work, "out-signal");
    await runCliOrThrow(["plan", snapshot, "--mapping", mapping, "--out", out, "--no-progress"]);
    const before = readFileSync(join(out, "plan", "contacts.ndjson"), "utf8");

    const run = spawnCli(
      ["plan", snapshot, "--mapping", mapping, "--out", out, "--no-progress"],
      {},
    );
    // Stop it once staging has begun, so that the work folder contains copies of the data.
    await waitFor(
      () =>
        workDirs(out).some((dir) =>
          readdirSync(join(out, dir)).some((name) => name.startsWith("netmera-staging-")),
        ),
      "the staging folder",
    );
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(130);
    expect(run.output()).toContain(
      `plan stopped by SIGINT; the previous plan in ${out} is unchanged`,
    );
    expect(workDirs(out)).toEqual([]);
    expect(readFileSync(join(out, "plan", "contacts.ndjson"), "utf8")).toBe(before);
  }, 180_000);

  it("has its folder removed by the next plan when it was killed", async () => {
    const out = join(work, "out-killed");
    mkdirSync(join(out, ".plan-dead"), { recursive: true });
    writeFileSync(join(out, ".plan-dead", "owner.pid"), "999999999\n");
    writeFileSync(join(out, ".plan-dead", "contacts.ndjson"), "personal data\n");
    mkdirSync(join(out, ".plan-nopid"), { recursive: true });
    // A folder of a plan that is still running stays.
    const live = spawn("sleep", ["60"]);
    try {
      mkdirSync(join(out, ".plan-live"), { recursive: true });
      writeFileSync(join(out, ".plan-live", "owner.pid"), `${live.pid}\n`);
      await runCliOrThrow(["plan", snapshot, "--mapping", mapping, "--out", out, "--no-progress"]);
      expect(workDirs(out)).toEqual([".plan-live"]);
      expect(existsSync(join(out, "plan", "contacts.ndjson"))).toBe(true);
    } finally {
      live.kill();
    }
  }, 180_000);
});
