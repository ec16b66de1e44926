import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { xmlIdFor } from "../bridge/src/core/xml-id.js";
import { chromiumPathFrom } from "../bridge/src/inventory/render-pdf.js";
import { OdooClient } from "../bridge/src/odoo/client.js";
import { rowHash } from "../bridge/src/plan/row-hash.js";
import { startBridge, type RunningBridge } from "../bridge/src/server/bridge.js";
import { PLAN_DIR, sectionHtml, SNAPSHOT_DIR } from "./fixtures/inventory/support.js";
import { buildZip } from "./serve-fixtures.js";
import { runCli } from "./support/cli.js";
import { describeOdoo, startOdoo, type OdooServer } from "./support/odoo.js";

vi.setConfig({ testTimeout: 300_000, hookTimeout: 600_000 });

/**
 * Rendering a run's inventory again, from the command line or from `serve`, replaces the PDF on
 * the run instead of adding one more; and `serve`'s job adds the run's reconciliation, as the
 * command line does.
 */

const RUN_MODEL = "netmera.migration.run";
const TOKEN = "gaps-inventory-token-0123456789abcdef";
const chromiumAvailable = existsSync(chromiumPathFrom(undefined, process.env));
if (!chromiumAvailable) {
  console.log("inventory attachment test skipped: no Chromium (apt-get install chromium)");
}

function zipFolder(root: string): Buffer {
  const entries: { name: string; data: Buffer }[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else entries.push({ name: relative(root, path), data: readFileSync(path) });
    }
  };
  walk(root);
  return buildZip(entries);
}

interface Attachment {
  id: number;
  name: string;
  datas: string;
  description: string | false;
}

describeOdoo("inventory PDFs on a run", () => {
  let odoo: OdooServer;
  let client: OdooClient;
  let bridge: RunningBridge;
  let work: string;
  let runId = 0;
  let env: NodeJS.ProcessEnv;
  let connection: string[];

  const attachments = () =>
    client.executeKw<Attachment[]>(
      "ir.attachment",
      "search_read",
      [
        [
          ["res_model", "=", RUN_MODEL],
          ["res_id", "=", runId],
        ],
      ],
      { fields: ["name", "datas", "description"], order: "id" },
    );

  const cliInventory = (out: string) =>
    runCli(
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

  const api = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${bridge.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${TOKEN}`, ...init.headers },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "gaps-inventory-"));
    odoo = await startOdoo({ addon: true, prefix: "gaps" });
    const odooSettings = {
      url: odoo.url,
      db: odoo.db,
      login: odoo.login,
      password: odoo.password,
    };
    client = new OdooClient({ ...odooSettings, logger: silentLogger });
    env = { ...process.env, ODOO_PASSWORD: odoo.password };
    connection = ["--odoo-url", odoo.url, "--db", odoo.db, "--user", odoo.login];

    runId = await client.executeKw<number>(RUN_MODEL, "create", [
      { name: "Envanter yenileme", mapping_json: "{}", mapping_hash: "0".repeat(64) },
    ]);
    await client.executeKw(RUN_MODEL, "action_confirm_mapping", [[runId]]);
    await client.executeKw(RUN_MODEL, "action_confirm_gdpr", [[runId], "DPA-2024-07"]);
    await client.executeKw(RUN_MODEL, "begin_import", [[runId]]);
    const rows = ["seg-201", "seg-202", "seg-203"].map((id) => {
      const values = { name: `Segment ${id}` };
      return { xml_id: xmlIdFor("segment", id), values, hash: rowHash(values) };
    });
    await client.executeKw(RUN_MODEL, "import_batch", [[runId], "tags", 0, rows]);

    bridge = await startBridge(
      {
        host: "127.0.0.1",
        port: 0,
        dataDir: join(work, "data"),
        token: TOKEN,
        odoo: odooSettings,
        migrate: {},
        netmera: null,
        resync: null,
        uploads: {},
        chromiumPath: chromiumPathFrom(undefined, process.env),
      },
      { logger: silentLogger },
    );
  });

  afterAll(async () => {
    await bridge?.close();
    client?.close();
    await odoo?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it.skipIf(!chromiumAvailable)(
    "keeps one inventory PDF per run across command-line and serve renderings",
    async () => {
      const firstOut = mkdtempSync(join(work, "cli-1-"));
      const first = await cliInventory(firstOut);
      expect(first.code, first.stderr).toBe(0);
      const attachmentId = Number(/as ir\.attachment (\d+) /.exec(first.stdout)?.[1]);
      expect(first.stdout).toContain(
        `attached to run ${runId} as ir.attachment ${attachmentId} ` +
          `(netmera-inventory-run-${runId}.pdf)\n`,
      );

      const secondOut = mkdtempSync(join(work, "cli-2-"));
      const second = await cliInventory(secondOut);
      expect(second.code, second.stderr).toBe(0);
      expect(second.stdout).toContain(
        `attached to run ${runId} as ir.attachment ${attachmentId} ` +
          `(netmera-inventory-run-${runId}.pdf), replacing the run's earlier inventory PDF\n`,
      );
      const afterCli = await attachments();
      expect(afterCli.map((row) => [row.id, row.name])).toEqual([
        [attachmentId, `netmera-inventory-run-${runId}.pdf`],
      ]);
      const secondPdf = readFileSync(join(secondOut, "inventory.pdf"));
      expect(Buffer.from(afterCli[0]!.datas, "base64").equals(secondPdf)).toBe(true);
      expect(afterCli[0]!.description).toMatch(
        new RegExp(`^Written inventory of run ${runId}, rendered \\d{4}-\\d\\d-\\d\\dT`),
      );

      // The same run rendered from serve: the PDF is replaced again, not added.
      const uploaded = await api("/snapshots", {
        method: "POST",
        headers: { "content-type": "application/zip" },
        body: new Uint8Array(zipFolder(SNAPSHOT_DIR)),
      });
      expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
      const started = await api(`/runs/${runId}/inventory`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ snapshotId: uploaded.body.snapshotId, customer: "Acme" }),
      });
      expect(started.status, JSON.stringify(started.body)).toBe(202);
      let job = started.body;
      const deadline = Date.now() + 240_000;
      while (job.state === "running" && Date.now() < deadline) {
        await sleep(500);
        job = (await api(`/jobs/${String(started.body.id)}`)).body;
      }
      expect(job.state, JSON.stringify(job)).toBe("succeeded");
      const { outDir, result } = job.result as {
        outDir: string;
        result: {
          attachmentId: number;
          htmlFile: string;
          pdfFile: string;
          reconciliation: boolean;
        };
      };
      expect(result.attachmentId).toBe(attachmentId);
      expect(result.reconciliation).toBe(true);

      const afterServe = await attachments();
      expect(afterServe.map((row) => row.id)).toEqual([attachmentId]);
      const servePdf = readFileSync(join(outDir, "inventory.pdf"));
      expect(Buffer.from(afterServe[0]!.datas, "base64").equals(servePdf)).toBe(true);

      // The serve job's data-quality section has the run's figures, as the CLI's has.
      for (const html of [
        readFileSync(join(secondOut, "inventory.html"), "utf8"),
        readFileSync(result.htmlFile, "utf8"),
      ]) {
        const quality = sectionHtml(html, "data-quality");
        expect(quality).toContain(`Run ${runId} reconciliation`);
        const tagsRow = /<td>tags<\/td>\s*((?:<td[^>]*>[^<]*<\/td>\s*){7})/.exec(
          quality.slice(quality.indexOf(`Run ${runId} reconciliation`)),
        );
        const cells = [...(tagsRow?.[1] ?? "").matchAll(/>([^<]*)<\/td>/g)].map((m) => m[1]);
        expect(cells.slice(1)).toEqual(["3", "0", "0", "0", "0", "3"]);
      }
      const text = execFileSync("pdftotext", [join(outDir, "inventory.pdf"), "-"], {
        encoding: "utf8",
      });
      expect(text).toContain(`Run ${runId} reconciliation`);

      const messages = await client.executeKw<{ body: string; attachment_ids: number[] }[]>(
        "mail.message",
        "search_read",
        [
          [
            ["model", "=", RUN_MODEL],
            ["res_id", "=", runId],
            ["attachment_ids", "!=", false],
          ],
        ],
        { fields: ["body", "attachment_ids"] },
      );
      expect(messages).toEqual([
        {
          id: expect.any(Number),
          body: "<p>Written inventory rendered again by the bridge; the PDF replaces the earlier one.</p>",
          attachment_ids: [attachmentId],
        },
      ]);
    },
  );
});
