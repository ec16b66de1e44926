import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { loadMapping } from "../bridge/src/mapping/store.js";
import { computeMappingHash } from "../bridge/src/mapping/types.js";
import { OdooClient } from "../bridge/src/odoo/client.js";
import { startBridge, type RunningBridge } from "../bridge/src/server/bridge.js";
import { buildZip } from "./serve-fixtures.js";
import { runCliOrThrow } from "./support/cli.js";
import { describeOdoo, REPO_ROOT, startOdoo, type OdooServer } from "./support/odoo.js";

const TOKEN = "e2e-bridge-token-0123456789abcdefghij";
const SNAPSHOT = join(REPO_ROOT, "samples/small");
const RUN = "netmera.migration.run";
const RUN_FIELDS = [
  "state",
  "is_sample",
  "sample_size",
  "snapshot_hash",
  "bridge_snapshot_id",
  "bridge_job_kind",
  "bridge_job_state",
  "bridge_job_message",
  "progress_phase",
  "progress_done",
  "progress_total",
  "last_error",
];

type RunRow = Record<string, unknown> & { id: number; state: string };

function zipFolder(root: string): Buffer {
  const entries: { name: string; data: Buffer; deflate: boolean }[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else entries.push({ name: relative(root, path), data: readFileSync(path), deflate: true });
    }
  };
  walk(root);
  return buildZip(entries);
}

/** Run the CLI in-process, as a person would from a shell, and fail on a non-zero exit. */
async function cli(...args: string[]): Promise<void> {
  await runCliOrThrow(args);
}

describeOdoo("bridge driven from Odoo's buttons", () => {
  let odoo: OdooServer;
  let bridge: RunningBridge;
  let client: OdooClient;
  let work: string;

  const readRun = async (id: number): Promise<RunRow> =>
    (await client.executeKw<RunRow[]>(RUN, "read", [[id]], { fields: RUN_FIELDS }))[0]!;

  /** Poll the run in Odoo until the bridge job on it has ended, as the run form would. */
  const waitForJob = async (id: number, timeoutMs = 300_000): Promise<RunRow> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = await readRun(id);
      if (run.bridge_job_state && run.bridge_job_state !== "running") return run;
      if (Date.now() > deadline) throw new Error(`run ${id} still busy: ${JSON.stringify(run)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "serve-e2e-"));
    odoo = await startOdoo({ addon: true, prefix: "serve" });
    const connection = { url: odoo.url, db: odoo.db, login: odoo.login, password: odoo.password };
    client = new OdooClient({ ...connection, logger: silentLogger });
    bridge = await startBridge(
      {
        host: "127.0.0.1",
        port: 0,
        dataDir: join(work, "data"),
        token: TOKEN,
        odoo: connection,
        migrate: {},
        netmera: null,
        resync: null,
        uploads: {},
        chromiumPath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      },
      { logger: silentLogger },
    );
    await client.executeKw("ir.config_parameter", "set_param", [
      "netmera_migration.bridge_url",
      bridge.url,
    ]);
    await client.executeKw("ir.config_parameter", "set_param", [
      "netmera_migration.bridge_token",
      TOKEN,
    ]);

    await cli("map", SNAPSHOT, "--out", work);
    copyFileSync(join(work, "mapping.json"), join(work, "proposed.json"));
    await cli(
      "map",
      SNAPSHOT,
      "--confirm",
      "--by",
      "E2E Reviewer",
      "--mapping",
      `${work}/mapping.json`,
    );
  }, 900_000);

  afterAll(async () => {
    await bridge?.close();
    client?.close();
    await odoo?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("uploads, samples, migrates and renders from the run form", async () => {
    const wizardId = await client.executeKw<number>("netmera.snapshot.upload", "create", [
      {
        snapshot_file: zipFolder(SNAPSHOT).toString("base64"),
        snapshot_filename: "small.zip",
        mapping_file: readFileSync(join(work, "mapping.json")).toString("base64"),
        mapping_filename: "mapping.json",
      },
    ]);
    const opened = await client.executeKw<{ res_id: number }>(
      "netmera.snapshot.upload",
      "action_upload",
      [[wizardId]],
    );
    const sampleId = opened.res_id;
    const uploaded = await readRun(sampleId);
    expect(uploaded.state).toBe("mapping_confirmed");
    expect(uploaded.bridge_snapshot_id).toMatch(/^upload-[0-9a-f]{16}$/);
    const mapping = JSON.parse(readFileSync(join(work, "mapping.json"), "utf8"));
    expect(uploaded.snapshot_hash).toBe(mapping.confirmation.snapshotHash);

    // The admin gives every panel owner an Odoo user, so contacts keep their salesperson.
    const owners = readFileSync(join(SNAPSHOT, "owners.csv"), "utf8")
      .trim()
      .split(/\r?\n/)
      .slice(1);
    for (const line of owners) {
      const [name, surname, email] = line.split(",");
      await client.executeKw("res.users", "create", [
        { name: `${name} ${surname}`, login: email, email },
      ]);
    }

    await client.executeKw(RUN, "action_confirm_gdpr", [[sampleId], "DPA-E2E-1"]);
    await client.executeKw(RUN, "write", [[sampleId], { sample_size: 5 }]);
    await client.executeKw(RUN, "action_start_sample", [[sampleId]]);
    const sampled = await waitForJob(sampleId);
    expect(sampled.bridge_job_state, String(sampled.bridge_job_message)).toBe("succeeded");
    expect(sampled.bridge_job_kind).toBe("sample");
    expect(sampled.state).toBe("sampled");
    expect(sampled.is_sample).toBe(true);
    const sampleContacts = await client.executeKw<number>(
      "netmera.migration.ledger",
      "search_count",
      [
        [
          ["run_id", "=", sampleId],
          ["model", "=", "res.partner"],
        ],
      ],
    );
    expect(sampleContacts).toBeGreaterThanOrEqual(5);

    const started = await client.executeKw<{ res_id: number }>(RUN, "action_start_migration", [
      [sampleId],
    ]);
    const fullId = started.res_id;
    expect(fullId).not.toBe(sampleId);
    const full = await waitForJob(fullId);
    expect(full.bridge_job_state, String(full.bridge_job_message)).toBe("succeeded");
    expect(full.state).toBe("done");
    expect(full.is_sample).toBe(false);
    expect(full.progress_phase).toBeTruthy();

    const reconciliation = await client.executeKw<Record<string, unknown>[]>(
      "netmera.migration.reconciliation",
      "search_read",
      [[["run_id", "=", fullId]]],
      { fields: ["phase", "read_count", "balanced"] },
    );
    expect(reconciliation.length).toBeGreaterThan(0);
    expect(reconciliation.every((line) => line.balanced === true)).toBe(true);

    await client.executeKw(RUN, "action_render_inventory", [[fullId]]);
    const rendered = await waitForJob(fullId);
    expect(rendered.bridge_job_state, String(rendered.bridge_job_message)).toBe("succeeded");
    expect(rendered.bridge_job_kind).toBe("inventory");
    const attachments = await client.executeKw<Record<string, unknown>[]>(
      "ir.attachment",
      "search_read",
      [
        [
          ["res_model", "=", RUN],
          ["res_id", "=", fullId],
        ],
      ],
      { fields: ["name", "mimetype", "file_size"] },
    );
    expect(attachments).toHaveLength(1);
    expect(attachments[0]).toMatchObject({
      name: `netmera-inventory-run-${fullId}.pdf`,
      mimetype: "application/pdf",
    });
    expect(Number(attachments[0]!.file_size)).toBeGreaterThan(1000);
  }, 900_000);

  // Runs after the test above, which created the panel owners' users.
  it("samples a run whose mapping was confirmed with the Odoo button", async () => {
    const proposed = await loadMapping(join(work, "proposed.json"));
    expect(proposed.confirmation).toBeNull();
    const wizardId = await client.executeKw<number>("netmera.snapshot.upload", "create", [
      {
        snapshot_file: zipFolder(SNAPSHOT).toString("base64"),
        snapshot_filename: "small-odoo-confirmed.zip",
        mapping_file: readFileSync(join(work, "proposed.json")).toString("base64"),
        mapping_filename: "mapping.json",
      },
    ]);
    const opened = await client.executeKw<{ res_id: number }>(
      "netmera.snapshot.upload",
      "action_upload",
      [[wizardId]],
    );
    const runId = opened.res_id;
    expect((await readRun(runId)).state).toBe("draft");

    await client.executeKw(RUN, "action_confirm_mapping", [[runId]]);
    const [confirmed] = await client.executeKw<Record<string, unknown>[]>(RUN, "read", [[runId]], {
      fields: ["state", "mapping_hash", "mapping_json", "mapping_confirmed_by", "snapshot_hash"],
    });
    expect(confirmed!.state).toBe("mapping_confirmed");
    // The same hash as the bridge computes, and as `map --confirm` recorded for this mapping.
    const cliConfirmed = await loadMapping(join(work, "mapping.json"));
    expect(confirmed!.mapping_hash).toBe(computeMappingHash(proposed));
    expect(confirmed!.mapping_hash).toBe(cliConfirmed.confirmation!.mappingHash);
    const stored = JSON.parse(String(confirmed!.mapping_json));
    expect(stored.confirmation).toEqual({
      by: confirmed!.mapping_confirmed_by,
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      mappingHash: confirmed!.mapping_hash,
      snapshotHash: confirmed!.snapshot_hash,
    });

    await client.executeKw(RUN, "action_confirm_gdpr", [[runId], "DPA-E2E-2"]);
    await client.executeKw(RUN, "write", [[runId], { sample_size: 3 }]);
    await client.executeKw(RUN, "action_start_sample", [[runId]]);
    const sampled = await waitForJob(runId);
    // The bridge's plan and migrate accept the mapping as confirmed in Odoo.
    expect(sampled.bridge_job_state, String(sampled.bridge_job_message)).toBe("succeeded");
    expect(sampled.state).toBe("sampled");
    expect(sampled.last_error).toBe(false);
  }, 900_000);
});
