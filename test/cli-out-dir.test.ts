import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";

const SAMPLE = join(import.meta.dirname, "..", "samples", "small");
const work = mkdtempSync(join(tmpdir(), "cli-out-dir-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("--out checks", () => {
  it("rejects a file given as --out", async () => {
    const file = join(work, "report.txt");
    writeFileSync(file, "keep me\n");

    const result = await runCli(["audit", SAMPLE, "--out", file]);

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`error: --out ${file} is a file, not a folder; choose a folder\n`);
  });

  it("rejects a folder below a file", async () => {
    const file = join(work, "plain.txt");
    writeFileSync(file, "x\n");

    const result = await runCli(["audit", SAMPLE, "--out", join(file, "sub")]);

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error: --out ${join(file, "sub")} is inside ${file}, a file; choose a folder\n`,
    );
  });

  it.runIf(existsSync("/proc/self"))("rejects /proc at once", async () => {
    const result = await runCli(["plan", SAMPLE, "--out", "/proc/netmera-odoo-out"]);

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "error: --out /proc/netmera-odoo-out: cannot create folder /proc/netmera-odoo-out " +
        "(ENOENT); choose a folder you can write to\n",
    );
  });

  it("leaves no folder behind when the command fails", async () => {
    const out = join(work, "new", "nested");

    const result = await runCli(["audit", join(work, "no-such-snapshot"), "--out", out]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("no-such-snapshot");
    expect(existsSync(join(work, "new"))).toBe(false);
  });

  it("creates a nested --out for a command that succeeds", async () => {
    const out = join(work, "made", "for", "audit");

    const result = await runCli(["audit", SAMPLE, "--out", out]);

    expect(result.code).toBe(0);
    expect(existsSync(join(out, "audit.json"))).toBe(true);
  });
});
