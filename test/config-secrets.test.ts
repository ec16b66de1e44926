import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseConfigText } from "../bridge/src/core/config-text.js";
import { readConfigFile } from "../bridge/src/odoo/settings.js";
import { runCli } from "./support/cli.js";

const work = mkdtempSync(join(tmpdir(), "config-secrets-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SECRET = "supersecret123";

describe("config syntax errors", () => {
  it.each([
    ["unclosed quote", "cfg.yaml", `db: crm\npassword: "${SECRET}\n`, "at line 3, column 1"],
    ["colon in a value", "cfg.yaml", `db: crm\npassword: ${SECRET}: x\n`, "at line 2, column"],
    ["bad JSON", "cfg.json", `{"db": "crm",\n "password": "${SECRET}" x}`, "at line 2, column"],
  ])("%s names the place, not the text", (_label, name, text, where) => {
    const path = join(work, name);
    writeFileSync(path, text);
    let message = "";
    try {
      parseConfigText(path, text);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(`config file ${path} is not valid`);
    expect(message).toContain(where);
    expect(message).not.toContain(SECRET);
    expect(() => readConfigFile(path)).toThrow(message);
  });

  it("keeps the password out of a command's error output", async () => {
    const path = join(work, "inventory.yaml");
    writeFileSync(path, `odooUrl: http://127.0.0.1:1\ndb: x\nuser: admin\npassword: "${SECRET}\n`);
    const result = await runCli(["serve", "--config", path], {});
    expect(result.code).not.toBe(0);
    expect(`${result.stdout}${result.stderr}`).toContain("is not valid YAML at line 5, column 1");
    expect(`${result.stdout}${result.stderr}`).not.toContain(SECRET);
  });
});
