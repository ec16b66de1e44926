import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { copyFixturePlan, runCli } from "./migrate-support.js";
import { describeOdoo, freePort, startOdoo, type OdooServer } from "./support/odoo.js";

// Real Odoo on a shared 2-core machine: starting a server may take minutes when suites run.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 600_000 });

/**
 * The checks migrate makes before writing, against an Odoo without the addon. Each failure
 * gets its own message and fix: nothing listening, a server that is not Odoo, a missing
 * database, a wrong login or password, a missing addon.
 */

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
    expect(result.stderr).toContain(
      `error: cannot reach Odoo at ${url}: nothing accepts connections there (`,
    );
    expect(result.stderr).toContain("ECONNREFUSED");
    expect(result.stderr).toContain(
      "Check the host and port in --odoo-url and that the Odoo server is running and " +
        "reachable from this machine.",
    );
    expect(result.stderr).not.toContain("not an Odoo server");
  });

  it("reports a web server that is not Odoo as such", async () => {
    const server: Server = createServer((_request, response) => {
      response.writeHead(200, { "content-type": "text/html" });
      response.end("<!doctype html><html><body>Welcome to nginx!</body></html>");
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const result = await runCli(migrateArgs(url, odoo.db), env);

      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `error: ${url} answered, but it is not an Odoo server: /xmlrpc/2/common gave no ` +
          "XML-RPC answer (",
      );
      expect(result.stderr).toContain(
        "Set --odoo-url to the Odoo base URL, the address of its login page without /web/login.",
      );
    } finally {
      await new Promise((done) => server.close(done));
    }
  });

  it("reports a missing database with the fix", async () => {
    const result = await runCli(migrateArgs(odoo.url, "mig_no_such_db"), env);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `error: Odoo at ${odoo.url} has no database "mig_no_such_db"; check --db (the database ` +
        `selector at ${odoo.url}/web/database/selector lists them).`,
    );
    expect(result.stderr).not.toContain("not an Odoo server");
  });

  it("reports a wrong password as a rejected login, not as a server problem", async () => {
    const result = await runCli(migrateArgs(odoo.url, odoo.db), { ODOO_PASSWORD: "wrong-pw-77" });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `error: Odoo at ${odoo.url} rejected the login "admin" on db "${odoo.db}": wrong login ` +
        "or password. Check --user, and set ODOO_PASSWORD to that user's password or an API " +
        "key (Odoo › Preferences › Account Security › New API Key).",
    );
    expect(result.stderr).not.toContain("not an Odoo server");
    expect(result.stderr).not.toContain("wrong-pw-77");
  });

  it("reports an unknown login like a wrong password", async () => {
    const args = migrateArgs(odoo.url, odoo.db).map((arg) => (arg === "admin" ? "nobody" : arg));
    const result = await runCli(args, env);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `error: Odoo at ${odoo.url} rejected the login "nobody" on db "${odoo.db}": wrong login`,
    );
  });

  it("asks for the password when ODOO_PASSWORD is not set", async () => {
    const result = await runCli(migrateArgs(odoo.url, odoo.db), {});

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: no Odoo password: set ODOO_PASSWORD");
  });
});
