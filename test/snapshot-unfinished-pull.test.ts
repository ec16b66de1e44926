import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeFiles } from "./input-support.js";
import { runCli } from "./support/cli.js";

const work = mkdtempSync(join(tmpdir(), "unfinished-pull-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Write a folder as pull leaves it when it stops: users written, the journal there, no manifest. */
function interruptedPull(name: string, marker: string): string {
  const root = join(work, name);
  writeFiles(root, {
    "users/people.csv": "extId,email\nu1,u1@example.com\n",
    [marker]: "",
  });
  return root;
}

describe("an unfinished pull folder", () => {
  const journal = interruptedPull("journal", ".pull-state/journal.sqlite");
  const pending = interruptedPull("pending", "manifest.json.pending");

  it.each([
    ["audit", [journal, "--out", join(work, "out-audit")]],
    ["map", [journal, "--out", join(work, "out-map")]],
    ["plan", [journal, "--out", join(work, "out-plan"), "--mapping", join(work, "none.json")]],
  ])("is rejected by %s", async (command, args) => {
    const result = await runCli([command, ...args]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      `${journal} is an unfinished pull (.pull-state/ is there and manifest.json is not); ` +
        "run the same pull command again to finish it",
    );
  });

  it("is rejected when only the pending manifest is left", async () => {
    const result = await runCli(["audit", pending, "--out", join(work, "out-pending")]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      `${pending} is an unfinished pull (manifest.json.pending is there and manifest.json is not)`,
    );
  });

  it("does not stop a folder without manifest that no pull wrote", async () => {
    const root = join(work, "hand-made");
    writeFiles(root, { "users/people.csv": "extId,email\nu1,u1@example.com\n" });
    const result = await runCli(["audit", root, "--out", join(work, "out-hand")]);
    expect(result.stderr).not.toContain("unfinished pull");
    expect(result.code).toBe(0);
  });
});
