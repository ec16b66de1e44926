import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { describeSettings, resolveServeSettings } from "../bridge/src/server/config.js";

const TOKEN = "config-token-0123456789abcdefghijkl";

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "serve-config-"));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function configFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("serve settings", () => {
  it("rejects a missing or short token", () => {
    expect(() => resolveServeSettings({}, {})).toThrow(
      "NETMERA_ODOO_BRIDGE_TOKEN is not set; set it to a random secret of at least 32 characters",
    );
    expect(() => resolveServeSettings({}, { NETMERA_ODOO_BRIDGE_TOKEN: "x".repeat(31) })).toThrow(
      "NETMERA_ODOO_BRIDGE_TOKEN is 31 characters long; use at least 32 characters",
    );
  });

  it("lets flags win over environment and file", () => {
    const config = configFile(
      "serve.yaml",
      [
        "host: 0.0.0.0",
        "port: 4000",
        "dataDir: /srv/data",
        "odooUrl: http://odoo:8069",
        "db: crm",
        "user: admin",
        "netmera:",
        "  app: acme",
        "resync:",
        '  cron: "0 */15 * * * *"',
        "  mapping: mapping.json",
        "  gdprAgreement: DPA-2026-01",
      ].join("\n"),
    );
    const settings = resolveServeSettings(
      { config, port: "3105" },
      {
        NETMERA_ODOO_BRIDGE_TOKEN: TOKEN,
        NETMERA_ODOO_BRIDGE_HOST: "127.0.0.1",
        ODOO_PASSWORD: "pw",
        ODOO_DB: "crm_live",
        NETMERA_API_KEY: "key",
      },
    );
    expect(settings.port).toBe(3105);
    expect(settings.host).toBe("127.0.0.1");
    expect(settings.dataDir).toBe("/srv/data");
    expect(settings.odoo).toEqual({
      url: "http://odoo:8069",
      db: "crm_live",
      login: "admin",
      password: "pw",
    });
    expect(settings.resync).toEqual({
      cron: "0 */15 * * * *",
      mapping: join(dir, "mapping.json"),
      keep: 3,
      gdprAgreement: "DPA-2026-01",
    });
    expect(JSON.stringify(describeSettings(settings))).not.toContain('"pw"');
  });

  it("names the missing Odoo settings", () => {
    expect(() =>
      resolveServeSettings(
        {},
        { NETMERA_ODOO_BRIDGE_TOKEN: TOKEN, ODOO_URL: "http://127.0.0.1:8069" },
      ),
    ).toThrow(
      "incomplete Odoo settings: set ODOO_DB, ODOO_USER, ODOO_PASSWORD (or odooUrl, db, user, password in --config FILE)",
    );
  });

  it("lists every invalid key of the config file", () => {
    const config = configFile(
      "serve.json",
      JSON.stringify({ port: "80", resync: { cron: "every minute" }, colour: "blue" }),
    );
    expect(() => resolveServeSettings({ config }, { NETMERA_ODOO_BRIDGE_TOKEN: TOKEN })).toThrow(
      `config file ${config} is invalid: port: Invalid input: expected number, received string; ` +
        "resync.cron: is not a valid cron expression; resync.mapping: Invalid input: expected " +
        "string, received undefined; resync.gdprAgreement: Invalid input: expected string, " +
        'received undefined; (top level): Unrecognized key: "colour"',
    );
  });

  it("names a re-sync time zone that does not exist", () => {
    const config = configFile(
      "serve.json",
      JSON.stringify({
        resync: {
          cron: "0 2 * * *",
          timezone: "Europe/Istanbull",
          mapping: "m.json",
          gdprAgreement: "D",
        },
      }),
    );
    expect(() => resolveServeSettings({ config }, { NETMERA_ODOO_BRIDGE_TOKEN: TOKEN })).toThrow(
      `config file ${config} is invalid: resync.timezone: is not an IANA time zone name`,
    );
  });

  it("rejects a re-sync without Netmera settings", () => {
    const config = configFile(
      "serve.yaml",
      'resync:\n  cron: "0 */15 * * * *"\n  mapping: mapping.json\n  gdprAgreement: DPA-1\n',
    );
    expect(() => resolveServeSettings({ config }, { NETMERA_ODOO_BRIDGE_TOKEN: TOKEN })).toThrow(
      "resync pulls from Netmera and migrates into Odoo: it needs a netmera section in the " +
        "config file, NETMERA_API_KEY, and the Odoo settings (ODOO_URL, ODOO_DB, ODOO_USER, " +
        "ODOO_PASSWORD)",
    );
  });

  it("rejects a port flag that is not a port", () => {
    expect(() =>
      resolveServeSettings({ port: "80a" }, { NETMERA_ODOO_BRIDGE_TOKEN: TOKEN }),
    ).toThrow('--port must be a port number from 0 to 65535 (got "80a")');
  });
});
