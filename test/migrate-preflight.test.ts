import { join } from "node:path";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { copyFixturePlan, runCli } from "./migrate-support.js";
import { describeOdoo, freePort, startOdoo, type OdooServer } from "./support/odoo.js";

// Real Odoo on a shared 2-core machine: starting a server may take minutes when suites run.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 600_000 });

/** The checks migrate makes before writing, against an Odoo without the addon. */

describeOdoo("migrate preflight checks", () => {
  let odoo: OdooServer;
  let planDir: string;
  const env = { ODOO_PASSWORD: "admin" };

  const migrateArgs = (url: string, db: string) => [
    "migrate",
    join(planDir, "snapshot"),
    "--plan",
    planDir,
    "--mapping",
    join(planDir, "mapping.json"),
    "--odoo-url",
    url,
    "--db",
    db,
    "--user",
    "admin",
  ];

  beforeAll(async () => {
    odoo = await startOdoo({ prefix: "migrate" });
    planDir = copyFixturePlan();
  });

  afterAll(async () => {
    await odoo?.stop();
  });

  it("names the missing addon and how to install it", async () => {
    const result = await runCli(migrateArgs(odoo.url, odoo.db), env);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `error: the netmera_migration addon is not installed on db "${odoo.db}" at ${odoo.url}.`,
    );
    expect(result.stderr).toContain('search "Netmera Migration" and click Activate');
    expect(result.stderr).toContain(`-d ${odoo.db} -i netmera_migration`);
  });

  it("reports a URL without the XML-RPC endpoint as a disabled external API", async () => {
    const result = await runCli(migrateArgs(`${odoo.url}/no-such-prefix`, odoo.db), env);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `error: Odoo at ${odoo.url}/no-such-prefix answered HTTP 404 on /xmlrpc/2/common: the ` +
        "XML-RPC external API is disabled or a proxy blocks /xmlrpc/.",
    );
  });

  it("reports an unreachable server with the URL and the error", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const result = await runCli(migrateArgs(url, odoo.db), env);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: cannot reach Odoo at ${url} (`);
    expect(result.stderr).toContain("ECONNREFUSED");
    expect(result.stderr).toContain("Check --odoo-url and that the server is running");
  });

  it("asks for the password when ODOO_PASSWORD is not set", async () => {
    const result = await runCli(migrateArgs(odoo.url, odoo.db), {});

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: no Odoo password: set ODOO_PASSWORD");
  });
});
