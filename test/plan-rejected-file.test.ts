import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeFiles } from "./input-support.js";
import { captureLogger } from "./serve-fixtures.js";
import { runCli } from "./support/cli.js";

const root = mkdtempSync(join(tmpdir(), "plan-rejected-file-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("a user file that loses every row", () => {
  it("gets a warning naming it", async () => {
    const snapshot = join(root, "snapshot");
    const out = join(root, "out");
    writeFiles(snapshot, {
      "users/a.csv": "extId,email\nu1,u1@example.com\n",
      // The header has semicolons and the rows commas, so no row has the header's field count.
      "users/b.csv": "extId;email;city\nu2,u2@example.com,Bursa\nu3,u3@example.com,Adana\n",
    });
    expect((await runCli(["map", snapshot, "--out", out])).code).toBe(0);
    const mapping = join(out, "mapping.json");
    expect(
      (await runCli(["map", snapshot, "--confirm", "--by", "T", "--mapping", mapping])).code,
    ).toBe(0);

    const capture = captureLogger();
    const plan = await runCli(
      ["plan", snapshot, "--out", out, "--no-progress"],
      {},
      capture.logger,
    );

    expect(plan.code).toBe(0);
    expect(capture.text()).toContain(
      "every row of users/b.csv was rejected, so it adds no user; quarantine.csv gives the " +
        "reason of each",
    );
    expect(capture.text()).not.toContain("every row of users/a.csv");
  });
});
