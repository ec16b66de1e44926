import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { readPlanManifest } from "../bridge/src/migrate/plan-files.js";
import { OdooClient } from "../bridge/src/odoo/client.js";
import { checkOdoo } from "../bridge/src/odoo/preflight.js";
import { startBridge, type RunningBridge } from "../bridge/src/server/bridge.js";
import type { OdooSettings } from "../bridge/src/server/config.js";
import { writeSyntheticPlan } from "./fixtures/migrate/synthetic-plan.js";
import { connectionArgs, runCli } from "./migrate-support.js";
import { buildZip, captureLogger } from "./serve-fixtures.js";
import { runCliOrThrow } from "./support/cli.js";
import { describeOdoo, REPO_ROOT, startOdoo, type OdooServer } from "./support/odoo.js";

// Real Odoo and real plans on a shared 2-core machine: a step may take minutes.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 600_000 });

/**
 * Runs made in Odoo with a name only, used from the command line and from serve jobs; the
 * messages of serve jobs, which name serve's settings rather than flags; and the addon version
 * check of the preflight.
 */

const RUN_MODEL = "netmera.migration.run";
const TOKEN = "odoo-side-bridge-token-0123456789abcdef";
const SNAPSHOT = join(REPO_ROOT, "samples/small");
const env = { ODOO_PASSWORD: "admin" };

interface RunRow {
  id: number;
  state: string;
  snapshot_hash: string | false;
  mapping_hash: string | false;
  mapping_confirmed_by: string | false;
  is_sample: boolean;
  sample_size: number;
}

interface JobView {
  id: string;
  state: string;
  error?: string;
  result?: { runId?: number; sampleReport?: string | null };
}

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

describeOdoo("runs made in Odoo and serve job messages", () => {
  let odoo: OdooServer;
  let client: OdooClient;
  let work: string;
  let planDir: string;
  const bridges: RunningBridge[] = [];

  const readRun = async (id: number): Promise<RunRow> =>
    (
      await client.executeKw<RunRow[]>(RUN_MODEL, "read", [[id]], {
        fields: [
          "state",
          "snapshot_hash",
          "mapping_hash",
          "mapping_confirmed_by",
          "is_sample",
          "sample_size",
        ],
      })
    )[0]!;

  const newRun = (name: string) => client.executeKw<number>(RUN_MODEL, "create", [{ name }]);

  const migrateArgs = (extra: string[]) => [
    "migrate",
    join(planDir, "snapshot"),
    "--plan",
    planDir,
    "--mapping",
    join(planDir, "mapping.json"),
    ...connectionArgs(odoo),
    ...extra,
  ];

  const authoriseArgs = (runId: number) =>
    ["authorise", "--run", String(runId), "--by", "Deniz Aydın", "--agreement", "DPA-7"].concat(
      connectionArgs(odoo),
    );

  const errorLine = (stderr: string) =>
    stderr.split("\n").find((line) => line.startsWith("error:"));

  /** Start a bridge with these Odoo settings and upload the sample snapshot to it. */
  const bridgeWith = async (odooSettings: OdooSettings, port: number) => {
    const capture = captureLogger();
    const bridge = await startBridge(
      {
        host: "127.0.0.1",
        port,
        dataDir: join(work, `data-${port}`),
        token: TOKEN,
        odoo: odooSettings,
        migrate: {},
        netmera: null,
        resync: null,
        uploads: {},
        chromiumPath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      },
      { logger: capture.logger },
    );
    bridges.push(bridge);
    const uploaded = await fetch(`${bridge.url}/snapshots`, {
      method: "POST",
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/zip" },
      body: new Uint8Array(zipFolder(SNAPSHOT)),
    });
    const stored = (await uploaded.json()) as { snapshotId: string };
    expect(uploaded.status).toBe(201);
    return { bridge, capture, snapshotId: stored.snapshotId };
  };

  /** Start a sample job on a run and wait for it to end. */
  const sampleJob = async (
    bridge: RunningBridge,
    runId: number,
    body: Record<string, unknown>,
  ): Promise<JobView> => {
    const started = await fetch(`${bridge.url}/runs/${runId}/sample`, {
      method: "POST",
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(started.status).toBe(202);
    const job = (await started.json()) as JobView;
    const deadline = Date.now() + 240_000;
    for (;;) {
      const polled = await fetch(`${bridge.url}/jobs/${job.id}`, {
        headers: { Authorization: `Bearer ${TOKEN}` },
      });
      const view = (await polled.json()) as JobView;
      if (view.state !== "running") return view;
      if (Date.now() > deadline) throw new Error(`job ${job.id} still running`);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "odoo-side-runs-"));
    odoo = await startOdoo({ addon: true, prefix: "oside" });
    client = new OdooClient({
      url: odoo.url,
      db: odoo.db,
      login: odoo.login,
      password: odoo.password,
      logger: silentLogger,
    });
    planDir = await writeSyntheticPlan(join(work, "plan"), { contacts: 12 });

    await runCliOrThrow(["map", SNAPSHOT, "--out", work]);
    copyFileSync(join(work, "mapping.json"), join(work, "proposed.json"));
    await runCliOrThrow([
      "map",
      SNAPSHOT,
      "--confirm",
      "--by",
      "Side Reviewer",
      "--mapping",
      join(work, "mapping.json"),
    ]);
  });

  afterAll(async () => {
    for (const bridge of bridges) await bridge.close();
    client?.close();
    await odoo?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("authorise names what an empty run lacks", async () => {
    const id = await newRun("serve A");

    const result = await runCli(authoriseArgs(id), env);

    expect(result.code).toBe(1);
    expect(errorLine(result.stderr)).toBe(
      `error: run ${id} ("serve A") has no snapshot or mapping yet, so there is nothing to ` +
        "authorise: it was created in Odoo with a name only. Give it the snapshot and the " +
        "confirmed mapping first: run netmera-odoo migrate SNAPSHOT --plan DIR --mapping FILE " +
        `--run ${id} with the same connection options (it attaches both to the run and stops ` +
        "before writing anything, waiting for this authorisation), or click Upload Snapshot " +
        "and then Confirm Mapping on the run form. Then run authorise again.",
    );
    expect((await readRun(id)).state).toBe("draft");
  });

  it("migrate fills an empty run, then imports", async () => {
    const id = await newRun("made with New");
    const manifest = readPlanManifest(planDir);

    const first = await runCli(migrateArgs(["--run", String(id)]), env);

    expect(first.code).toBe(1);
    expect(errorLine(first.stderr)).toContain(
      `error: run ${id} ("made with New") has no GDPR authorisation yet`,
    );
    expect(errorLine(first.stderr)).toContain(
      "The run was created in Odoo without a snapshot or mapping; it now has this plan's " +
        "snapshot and confirmed mapping.",
    );
    expect(errorLine(first.stderr)).toContain("then run migrate again (it continues run");
    const attached = await readRun(id);
    expect(attached.state).toBe("mapping_confirmed");
    expect(attached.snapshot_hash).toBe(manifest.snapshotHash);
    expect(attached.mapping_hash).toBe(manifest.mappingHash);
    expect(attached.mapping_confirmed_by).toBeTruthy();
    expect(attached.is_sample).toBe(false);

    const authorised = await runCli(authoriseArgs(id), env);
    expect(authorised.code, authorised.stderr).toBe(0);
    const second = await runCli(migrateArgs(["--run", String(id)]), env);
    expect(second.code, second.stderr).toBe(0);
    expect((await readRun(id)).state).toBe("done");
    const contacts = await client.executeKw<number>("netmera.migration.ledger", "search_count", [
      [
        ["run_id", "=", id],
        ["model", "=", "res.partner"],
      ],
    ]);
    expect(contacts).toBe(12);
  });

  it("preflight stops at an older addon version", async () => {
    await expect(checkOdoo(client)).resolves.toMatchObject({ version: { major: 18 } });
    const [module] = await client.executeKw<{ id: number; latest_version: string }[]>(
      "ir.module.module",
      "search_read",
      [[["name", "=", "netmera_migration"]]],
      { fields: ["latest_version"] },
    );
    const runsBefore = await client.executeKw<number>(RUN_MODEL, "search_count", [[]]);

    // As after replacing the addon's files without -u: the database keeps the older version.
    await client.executeKw("ir.module.module", "write", [
      [module!.id],
      { latest_version: "18.0.1.0.0" },
    ]);
    try {
      const result = await runCli(migrateArgs([]), env);

      expect(result.code).toBe(1);
      expect(errorLine(result.stderr)).toBe(
        `error: the netmera_migration addon on db "${odoo.db}" at ${odoo.url} is version ` +
          "18.0.1.0.0, and this bridge needs version 1.1.0 or later: it calls addon methods " +
          "that older versions lack. Upgrade the addon before migrating: put this release's " +
          `odoo_addon/ on Odoo's addons path and start Odoo once with -d ${odoo.db} ` +
          '-u netmera_migration, or in Odoo open Apps, find "Netmera Migration" and click ' +
          "Upgrade. Nothing was written.",
      );
      expect(await client.executeKw<number>(RUN_MODEL, "search_count", [[]])).toBe(runsBefore);
    } finally {
      await client.executeKw("ir.module.module", "write", [
        [module!.id],
        { latest_version: module!.latest_version },
      ]);
    }
  });

  it("serve job fills an empty run", async () => {
    const settings = { url: odoo.url, db: odoo.db, login: odoo.login, password: odoo.password };
    const { bridge, capture, snapshotId } = await bridgeWith(settings, 18131);
    const mapping = JSON.parse(readFileSync(join(work, "mapping.json"), "utf8"));
    const id = await newRun("serve B");

    const waiting = await sampleJob(bridge, id, { snapshotId, mapping, sampleSize: 3 });

    expect(waiting.state).toBe("failed");
    expect(waiting.error).toContain(`run ${id} ("serve B") has no GDPR authorisation yet`);
    expect(waiting.error).toContain("it now has this plan's snapshot and confirmed mapping.");
    expect(waiting.error).toContain(`then start the job again (it continues run ${id}).`);
    const attached = await readRun(id);
    expect(attached.state).toBe("mapping_confirmed");
    expect(attached.snapshot_hash).toBe(mapping.confirmation.snapshotHash);
    expect(attached).toMatchObject({ is_sample: true, sample_size: 3 });

    await client.executeKw(RUN_MODEL, "action_confirm_gdpr", [[id], "DPA-8"]);
    const sampled = await sampleJob(bridge, id, { sampleSize: 3 });
    expect(sampled.state, sampled.error).toBe("succeeded");
    expect((await readRun(id)).state).toBe("sampled");
    expect(sampled.result?.sampleReport).toContain(
      "Keep it: start the full migration (Start Migration on the run, or POST /runs/ID/migrate); " +
        "records already written",
    );
    expect(sampled.result?.sampleReport).toContain(
      `Undo it: the Rollback button on the run, or POST /runs/${id}/rollback.`,
    );
    expect(sampled.result?.sampleReport).not.toContain("--");

    // Each job line names its run once, however often the work inside names it too.
    const jobLines = capture.lines().filter((line) => line.includes('"jobId"'));
    const runLines = jobLines.filter((line) => line.includes(`"runId":${id}`));
    expect(runLines.length).toBeGreaterThan(5);
    expect(jobLines.filter((line) => line.split('"runId"').length > 2)).toEqual([]);
  });

  it("serve job names settings, not flags", async () => {
    const good = { url: odoo.url, db: odoo.db, login: odoo.login, password: odoo.password };
    const wrong = await bridgeWith({ ...good, password: "not-the-password" }, 18132);
    const mapping = JSON.parse(readFileSync(join(work, "mapping.json"), "utf8"));
    const id = await newRun("serve C");

    const rejected = await sampleJob(wrong.bridge, id, {
      snapshotId: wrong.snapshotId,
      mapping,
      sampleSize: 3,
    });

    expect(rejected.state).toBe("failed");
    expect(rejected.error).toBe(
      `Odoo at ${odoo.url} rejected the login "admin" on db "${odoo.db}": wrong login or ` +
        "password. Check ODOO_USER (user in the bridge's config file), and set ODOO_PASSWORD " +
        "(password in the bridge's config file) to that user's password or an API key " +
        "(Odoo › Preferences › Account Security › New API Key).",
    );
    expect(wrong.capture.text()).not.toContain("not-the-password");

    const right = await bridgeWith(good, 18133);
    const missing = await sampleJob(right.bridge, 987654, {
      snapshotId: right.snapshotId,
      mapping,
      sampleSize: 3,
    });

    expect(missing.state).toBe("failed");
    expect(missing.error).toBe(
      `run 987654 not found on db "${odoo.db}"; check the run id in the request path ` +
        "(/runs/ID/…)",
    );
  });

  it("the CLI keeps naming its flags", async () => {
    const result = await runCli(migrateArgs(["--run", "987654"]), env);

    expect(result.code).toBe(1);
    expect(errorLine(result.stderr)).toBe(
      `error: run 987654 not found on db "${odoo.db}"; check --run`,
    );
    const wrong = await runCli(migrateArgs([]), { ODOO_PASSWORD: "not-the-password" });
    expect(errorLine(wrong.stderr)).toBe(
      `error: Odoo at ${odoo.url} rejected the login "admin" on db "${odoo.db}": wrong login ` +
        "or password. Check --user, and set ODOO_PASSWORD to that user's password or an API " +
        "key (Odoo › Preferences › Account Security › New API Key).",
    );
  });
});
