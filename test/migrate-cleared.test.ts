import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { xmlIdFor } from "../bridge/src/core/xml-id.js";
import type { OdooClient } from "../bridge/src/odoo/client.js";
import { writeFiles, writeSnapshotManifest } from "./input-support.js";
import { clientFor, connectionArgs, runCli, tableRow } from "./migrate-support.js";
import { describeOdoo, startOdoo, type OdooServer } from "./support/odoo.js";

vi.setConfig({ testTimeout: 300_000, hookTimeout: 600_000 });

/**
 * A value removed in Netmera between two pulls: the second migrate clears the x_netmera_*
 * field and the device field it had written, and keeps the standard field a person may edit.
 */

const ATTRIBUTES = JSON.stringify({
  standardProfileAttributes: [{ code: "email", dataType: "STRING", name: "Email" }],
  customProfileAttributes: [{ code: "loyaltyPoints", dataType: "INTEGER", name: "Points" }],
});

describeOdoo("migrate a snapshot whose values were cleared", () => {
  let odoo: OdooServer;
  let client: OdooClient;
  const work = mkdtempSync(join(tmpdir(), "migrate-cleared-"));
  const env = { ODOO_PASSWORD: "admin" };

  async function pullAndMigrate(
    name: string,
    users: string,
    devices: string,
    extra: string[] = [],
    tags: Record<string, string> = {},
  ) {
    const snapshot = join(work, name);
    const out = join(work, `${name}-out`);
    writeFiles(snapshot, {
      "profile-attributes.json": ATTRIBUTES,
      "users/a.csv": users,
      "devices.csv": devices,
      ...tags,
    });
    await writeSnapshotManifest(snapshot);
    const mapping = join(out, "mapping.json");
    expect((await runCli(["map", snapshot, "--out", out], env)).code).toBe(0);
    const confirm = await runCli(
      ["map", snapshot, "--confirm", "--by", "Test", "--mapping", mapping],
      env,
    );
    expect(confirm.code, confirm.stderr).toBe(0);
    expect((await runCli(["plan", snapshot, "--out", out, "--no-progress"], env)).code).toBe(0);
    const args = ["migrate", snapshot, "--mapping", mapping, ...connectionArgs(odoo), ...extra];
    const first = await runCli(args, env);
    const runId = /run (\d+) \(/.exec(first.stderr)?.[1];
    expect(runId, first.stderr).toBeDefined();
    const authorise = ["authorise", "--run", runId!, "--by", "Test", "--agreement", "DPA-1"];
    expect((await runCli([...authorise, ...connectionArgs(odoo)], env)).code).toBe(0);
    const result = await runCli(args, env);
    expect(result.code, result.stderr).toBe(0);
    return result.stdout;
  }

  async function contact(): Promise<Record<string, unknown>> {
    const [found] = await client.executeKw<Record<string, unknown>[]>(
      "res.partner",
      "search_read",
      [[["netmera_external_id", "=", "u1"]]],
      { fields: ["city", "x_netmera_loyalty_points", "netmera_device_model", "category_id"] },
    );
    return found!;
  }

  beforeAll(async () => {
    odoo = await startOdoo({ addon: true, prefix: "cleared" });
    client = clientFor(odoo);
  });

  afterAll(async () => {
    client?.close();
    await odoo?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("clears fields only the migration writes", async () => {
    const devices = "platform,extId,installationId,model\nIOS,u1,inst-1,iPhone15.4\n";
    await pullAndMigrate(
      "first",
      "extId,email,city,loyaltyPoints\nu1,u1@example.com,Ankara,120\nu2,u2@example.com,,7\n",
      devices,
      [],
      { "tags/vip.csv": "extId\nu1\nu2\n" },
    );
    expect((await contact()).category_id).toHaveLength(1);
    expect(await contact()).toMatchObject({
      city: "Ankara",
      x_netmera_loyalty_points: 120,
      netmera_device_model: "iPhone15.4",
    });

    const stdout = await pullAndMigrate(
      "second",
      "extId,email,city,loyaltyPoints\nu1,u1@example.com,,\nu2,u2@example.com,,7\n",
      "platform,extId,installationId,model\n",
      [],
      { "tags/vip.csv": "extId\nu2\n" },
    );
    expect(tableRow(stdout, "contacts").updated).toBe(1);
    // u1 left the tag in Netmera, so the migration's link is removed too.
    expect((await contact()).category_id).toEqual([]);
    expect(await contact()).toMatchObject({
      // A standard field is never cleared: people edit it in Odoo too.
      city: "Ankara",
      x_netmera_loyalty_points: 0,
      netmera_device_model: false,
    });
  });

  it("lists sampled contacts whose e-mail Odoo already had", async () => {
    const existing = await client.executeKw<number>("res.partner", "create", [
      { name: "Ayla (CRM)", email: "U3@example.com" },
    ]);
    const stdout = await pullAndMigrate(
      "third",
      "extId,email\nu1,u1@example.com\nu3,u3@example.com\n",
      "platform,extId,installationId,model\n",
      ["--sample", "5"],
    );
    const [u3] = await client.executeKw<{ id: number }[]>(
      "res.partner",
      "search_read",
      [[["netmera_external_id", "=", "u3"]]],
      { fields: ["id"] },
    );

    expect(stdout).toContain(
      "Possible duplicates: these sampled contacts share an e-mail with a contact that was in",
    );
    expect(stdout).toContain(
      `  u3@example.com (id ${u3!.id}) and Ayla (CRM) (id ${existing}), U3@example.com`,
    );
    expect(stdout).not.toContain("u1@example.com (id");
    // A sample lists no contacts missing from the snapshot: it plans only a few.
    expect(stdout).not.toContain("that earlier runs wrote are not in this snapshot");
  });

  it("lists contacts that left the snapshot", async () => {
    // u2 (first runs) and u3 (the sample) are gone from Netmera; a person archived u3 already.
    const [u3] = await client.executeKw<{ id: number }[]>(
      "res.partner",
      "search_read",
      [[["netmera_external_id", "=", "u3"]]],
      { fields: ["id"] },
    );
    await client.executeKw("res.partner", "write", [[u3!.id], { active: false }]);
    const [u2] = await client.executeKw<{ id: number; name: string }[]>(
      "res.partner",
      "search_read",
      [[["netmera_external_id", "=", "u2"]]],
      { fields: ["id", "name"] },
    );

    const stdout = await pullAndMigrate(
      "fourth",
      "extId,email\nu1,u1@example.com\n",
      "platform,extId,installationId,model\n",
    );

    const listFile = /List: (\S+missing-contacts-run-\d+\.csv)/.exec(stdout)?.[1];
    expect(stdout).toContain(
      "1 contact(s) that earlier runs wrote are not in this snapshot (users deleted or " +
        "anonymised in Netmera). They stay in Odoo as they are;",
    );
    expect(listFile, stdout).toBeDefined();
    const rows = parse(readFileSync(listFile!, "utf8"), { columns: true });
    expect(rows).toEqual([
      { xml_id: xmlIdFor("user", "u2"), odoo_id: String(u2!.id), name: u2!.name },
    ]);
    const [partner] = await client.executeKw<{ active: boolean }[]>("res.partner", "read", [
      [u2!.id],
      ["active"],
    ]);
    expect(partner?.active).toBe(true);
  });
});
