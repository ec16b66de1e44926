import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../bridge/src/core/errors.js";
import {
  parsePositiveInt,
  readConfigFile,
  resolveConnection,
} from "../bridge/src/odoo/settings.js";

function configFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "odoo-config-")), name);
  writeFileSync(path, text);
  return path;
}

describe("connection settings", () => {
  it("reads a YAML config file", () => {
    const path = configFile(
      "netmera-odoo.yaml",
      "odooUrl: https://crm.example.com\ndb: crm\nuser: migrator@example.com\npassword: from-file\nconcurrency: 2\n",
    );

    expect(readConfigFile(path)).toEqual({
      odooUrl: "https://crm.example.com",
      db: "crm",
      user: "migrator@example.com",
      password: "from-file",
      concurrency: 2,
    });
  });

  it("lets options win over the file and ODOO_PASSWORD over its password", () => {
    const config = readConfigFile(
      configFile(
        "c.json",
        JSON.stringify({ odooUrl: "https://a.example", db: "a", user: "u", password: "file" }),
      ),
    );
    const connection = resolveConnection(
      { odooUrl: "https://b.example", db: "b" },
      { ODOO_PASSWORD: "env" },
      config,
    );

    expect(connection).toEqual({ url: "https://b.example", db: "b", login: "u", password: "env" });
  });

  it("names every missing option", () => {
    expect(() => resolveConnection({ db: "crm" }, { ODOO_PASSWORD: "x" }, {})).toThrow(
      new ConfigError("missing --odoo-url URL, --user LOGIN (or set them in --config FILE)"),
    );
  });

  it("asks for ODOO_PASSWORD without a password", () => {
    expect(() =>
      resolveConnection({ odooUrl: "http://127.0.0.1:8069", db: "crm", user: "admin" }, {}, {}),
    ).toThrow(/^no Odoo password: set ODOO_PASSWORD to the password or an API key of "admin"/);
  });

  it("lists unknown and invalid keys of a config file", () => {
    const path = configFile(
      "bad.json",
      JSON.stringify({ db: "", pasword: "typo", concurrency: 0 }),
    );

    expect(() => readConfigFile(path)).toThrow(/^config file .*bad\.json is invalid: /);
    expect(() => readConfigFile(path)).toThrow(/db: /);
    expect(() => readConfigFile(path)).toThrow(/concurrency: /);
    expect(() => readConfigFile(path)).toThrow(/pasword/);
  });

  it("rejects a URL without http or https", () => {
    expect(() =>
      resolveConnection(
        { odooUrl: "crm.example.com", db: "crm", user: "a" },
        { ODOO_PASSWORD: "x" },
        {},
      ),
    ).toThrow('--odoo-url must start with http:// or https:// (got "crm.example.com")');
  });

  it("parses whole positive numbers and names the option otherwise", () => {
    expect(parsePositiveInt("--batch-rows", "250")).toBe(250);
    expect(parsePositiveInt("--batch-rows", undefined)).toBeUndefined();
    expect(() => parsePositiveInt("--concurrency", "0")).toThrow(
      '--concurrency must be a whole number of at least 1 (got "0")',
    );
    expect(() => parsePositiveInt("--sample", "2.5")).toThrow("--sample must be a whole number");
    expect(() => parsePositiveInt("--sample", "1e9")).toThrow(
      '--sample must be a whole number of at least 1 (got "1e9")',
    );
    expect(() => parsePositiveInt("--sample", "0x10")).toThrow("--sample must be a whole number");
  });

  it("rejects a URL with a password in it", () => {
    const connect = () =>
      resolveConnection(
        { odooUrl: "http://admin:s3cr3tpw@127.0.0.1:8069", db: "crm", user: "a" },
        { ODOO_PASSWORD: "x" },
        {},
      );
    expect(connect).toThrow(
      "--odoo-url must not contain a user name or password; give the login with --user and " +
        "the password in ODOO_PASSWORD",
    );
    expect(connect).not.toThrow(/s3cr3tpw/);
  });
});
