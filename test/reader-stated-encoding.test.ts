import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeFiles } from "./input-support.js";
import { runCli } from "./support/cli.js";

const work = mkdtempSync(join(tmpdir(), "reader-stated-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function snapshot(name: string, users: Buffer): string {
  const root = join(work, name);
  writeFiles(root, { "users/a.csv": users });
  return root;
}

describe("a single-byte encoding stated for a file", () => {
  it("is rejected when the file is UTF-8", async () => {
    const root = snapshot("utf8", Buffer.from("extId,name\nu1,Şükrü Güneş\n", "utf8"));
    const result = await runCli([
      "audit",
      root,
      "--out",
      join(work, "out-utf8"),
      "--encoding",
      "users/a.csv=latin1",
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'users/a.csv: its encoding is stated as iso-8859-1, but the text is UTF-8 ("Ş" on line 2), ' +
        "which iso-8859-1 would read as other letters; remove the statement for this file",
    );
  });

  it("is used when the file is in that encoding", async () => {
    const root = snapshot("latin1", Buffer.from("extId,name\nu1,Jón Þórsson\n", "latin1"));
    const result = await runCli([
      "audit",
      root,
      "--out",
      join(work, "out-latin1"),
      "--encoding",
      "users/a.csv=latin1",
    ]);
    expect(result.stderr).not.toContain("error");
    expect(result.code).toBe(0);
  });

  it("is used for a file of ASCII text only", async () => {
    const root = snapshot("ascii", Buffer.from("extId,name\nu1,Ali\n", "utf8"));
    const result = await runCli([
      "audit",
      root,
      "--out",
      join(work, "out-ascii"),
      "--encoding",
      "users/a.csv=latin1",
    ]);
    expect(result.code).toBe(0);
  });
});
