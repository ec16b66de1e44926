import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { xmlIdFor } from "../bridge/src/core/xml-id.js";
import { OdooClient } from "../bridge/src/odoo/client.js";
import { rowHash } from "../bridge/src/plan/row-hash.js";
import { chromiumPathFrom } from "../bridge/src/inventory/render-pdf.js";
import { PLAN_DIR, sectionHtml, SNAPSHOT_DIR } from "./fixtures/inventory/support.js";
import { runCli } from "./support/cli.js";
import { describeOdoo, startOdoo, type OdooServer } from "./support/odoo.js";

const RUN_MODEL = "netmera.migration.run";
const chromiumAvailable = existsSync(chromiumPathFrom(undefined, process.env));
if (!chromiumAvailable) {
  console.log("inventory run test skipped: no Chromium (apt-get install chromium)");
}

describeOdoo("inventory of a migration run", () => {
  let odoo: OdooServer;
  let client: OdooClient;
  let runId = 0;
  let env: NodeJS.ProcessEnv;
  let connection: string[];

  beforeAll(async () => {
    odoo = await startOdoo({ addon: true, prefix: "inventory" });
    client = new OdooClient({
      url: odoo.url,
      db: odoo.db,
      login: odoo.login,
      password: odoo.password,
      logger: silentLogger,
    });
    env = { ...process.env, ODOO_PASSWORD: odoo.password };
    connection = ["--odoo-url", odoo.url, "--db", odoo.db, "--user", odoo.login];

    runId = await client.executeKw<number>(RUN_MODEL, "create", [
      { name: "Envanter testi", mapping_json: "{}", mapping_hash: "0".repeat(64) },
    ]);
    await client.executeKw(RUN_MODEL, "action_confirm_mapping", [[runId]]);
    await client.executeKw(RUN_MODEL, "action_confirm_gdpr", [[runId], "DPA-2024-07"]);
    await client.executeKw(RUN_MODEL, "action_start", [[runId]]);
    const rows = ["seg-101", "seg-102"].map((id) => {
      const values = { name: `Segment ${id}` };
      return { xml_id: xmlIdFor("segment", id), values, hash: rowHash(values) };
    });
    await client.executeKw(RUN_MODEL, "import_batch", [[runId], "tags", 0, rows]);
  });

  afterAll(async () => {
    client?.close();
    await odoo?.stop();
  });

  it.skipIf(!chromiumAvailable)("adds the run's reconciliation and attaches the PDF", async () => {
    const out = mkdtempSync(join(tmpdir(), "inventory-run-"));

    const result = await runCli(
      [
        "inventory",
        SNAPSHOT_DIR,
        "--plan",
        PLAN_DIR,
        "--out",
        out,
        "--run",
        String(runId),
        ...connection,
      ],
      env,
    );

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const attachmentId = Number(/as ir\.attachment (\d+)/.exec(result.stdout)?.[1]);
    expect(attachmentId).toBeGreaterThan(0);

    const [attachment] = await client.executeKw<Record<string, unknown>[]>(
      "ir.attachment",
      "read",
      [[attachmentId], ["name", "res_model", "res_id", "mimetype", "datas"]],
    );
    expect(attachment?.name).toBe(`netmera-inventory-run-${runId}.pdf`);
    expect(attachment?.res_model).toBe(RUN_MODEL);
    expect(attachment?.res_id).toBe(runId);
    expect(attachment?.mimetype).toBe("application/pdf");
    const stored = Buffer.from(String(attachment?.datas), "base64");
    expect(stored.equals(readFileSync(join(out, "inventory.pdf")))).toBe(true);

    const quality = sectionHtml(readFileSync(join(out, "inventory.html"), "utf8"), "data-quality");
    expect(quality).toContain(`Run ${runId} reconciliation`);
    // No owner waits in this run's queue, so the paragraph about the queue is left out.
    expect(quality).not.toContain("Owners waiting");
    const tagsRow = /<td>tags<\/td>\s*((?:<td[^>]*>[^<]*<\/td>\s*){7})/.exec(
      quality.slice(quality.indexOf(`Run ${runId} reconciliation`)),
    );
    const cells = [...(tagsRow?.[1] ?? "").matchAll(/>([^<]*)<\/td>/g)].map((match) => match[1]);
    expect(cells).toEqual(["9", "2", "0", "0", "0", "0", "2"]);

    const text = execFileSync("pdftotext", [join(out, "inventory.pdf"), "-"], { encoding: "utf8" });
    expect(text).toContain(`Run ${runId} reconciliation`);
  });

  it("names a run that does not exist", async () => {
    const out = mkdtempSync(join(tmpdir(), "inventory-run-"));

    const result = await runCli(
      ["inventory", SNAPSHOT_DIR, "--out", out, "--run", "999999", ...connection],
      env,
    );

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`error: migration run 999999 not found in Odoo (${RUN_MODEL})\n`);
  });

  it("asks for the password in ODOO_PASSWORD", async () => {
    const out = mkdtempSync(join(tmpdir(), "inventory-run-"));
    const withoutPassword = { ...process.env, ODOO_PASSWORD: "" };

    const result = await runCli(
      ["inventory", SNAPSHOT_DIR, "--out", out, "--run", String(runId), ...connection],
      withoutPassword,
    );

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("no Odoo password: set ODOO_PASSWORD");
  });
});
