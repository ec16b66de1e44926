import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { OdooClient } from "../bridge/src/odoo/client.js";
import { JobManager } from "../bridge/src/server/job-manager.js";
import type { JobRunners } from "../bridge/src/server/jobs.js";
import { realJobs } from "../bridge/src/server/real-jobs.js";
import { scheduleResync, type ResyncSchedule } from "../bridge/src/server/resync.js";
import { DataDir } from "../bridge/src/server/snapshot-store.js";
import { runCliOrThrow } from "./support/cli.js";
import { describeOdoo, REPO_ROOT, startOdoo, type OdooServer } from "./support/odoo.js";

const SNAPSHOT = join(REPO_ROOT, "samples/small");

interface PhaseRow {
  name: string;
  created: number;
  updated: number;
  unchanged: number;
}

async function cli(...args: string[]): Promise<void> {
  await runCliOrThrow(args);
}

describeOdoo("scheduled re-sync into a real Odoo", () => {
  let odoo: OdooServer;
  let work: string;
  let manager: JobManager;
  let schedule: ResyncSchedule;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "serve-resync-odoo-"));
    odoo = await startOdoo({ addon: true, prefix: "serve" });
    const client = new OdooClient({ ...odoo, logger: silentLogger });
    const owners = readFileSync(join(SNAPSHOT, "owners.csv"), "utf8").trim().split(/\r?\n/);
    for (const line of owners.slice(1)) {
      const [name, surname, email] = line.split(",");
      await client.executeKw("res.users", "create", [
        { name: `${name} ${surname}`, login: email, email },
      ]);
    }
    client.close();
    await cli("map", SNAPSHOT, "--out", work);
    await cli(
      "map",
      SNAPSHOT,
      "--confirm",
      "--by",
      "Resync Reviewer",
      "--mapping",
      `${work}/mapping.json`,
    );
  }, 900_000);

  afterAll(async () => {
    await schedule?.stop();
    await manager?.shutdown();
    await odoo?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("writes only what changed since the last re-sync", async () => {
    const real = realJobs({
      host: "127.0.0.1",
      port: 0,
      dataDir: join(work, "data"),
      token: "x".repeat(32),
      odoo: { url: odoo.url, db: odoo.db, login: odoo.login, password: odoo.password },
      migrate: {},
      netmera: null,
      resync: null,
      uploads: {},
      chromiumPath: "/usr/bin/chromium",
    });
    // Pull stand-in: the sample snapshot, and on the second pull one contact moved city.
    let pulls = 0;
    const pull: JobRunners["pull"] = async (params) => {
      pulls += 1;
      cpSync(SNAPSHOT, params.outDir, { recursive: true });
      rmSync(join(params.outDir, "manifest.json"));
      if (pulls === 2) {
        // Contact C1000017 is in two exports; both now give the new city.
        for (const name of ["segment-europe.csv", "people-export.csv"]) {
          const file = join(params.outDir, "users", name);
          const text = readFileSync(file, "utf8");
          writeFileSync(file, text.replace(/^(C1000017[,;].*?)Oslo/m, "$1Bergen"));
        }
      }
      return { pulls };
    };
    manager = new JobManager({ logger: silentLogger });
    schedule = scheduleResync({
      cron: "0 0 1 1 *",
      mappingFile: join(work, "mapping.json"),
      keep: 2,
      gdprAgreement: "DPA-RESYNC-1",
      jobs: { ...real, pull },
      manager,
      dataDir: new DataDir(join(work, "data")),
      logger: silentLogger,
    });

    const results: { runId: number; phases: PhaseRow[] }[] = [];
    for (let round = 0; round < 2; round += 1) {
      const job = schedule.trigger()!;
      await manager.settled("resync");
      const record = manager.get(job.id)!;
      expect(record.state, record.error).toBe("succeeded");
      results.push((record.result as { result: { runId: number; phases: PhaseRow[] } }).result);
    }

    const [first, second] = results;
    expect(second!.runId).not.toBe(first!.runId);
    const contacts = (rows: PhaseRow[]) => rows.find((row) => row.name === "contacts")!;
    expect(contacts(first!.phases).created).toBeGreaterThan(0);
    expect(contacts(second!.phases).created).toBe(0);
    expect(contacts(second!.phases).updated).toBe(1);
    for (const row of second!.phases) {
      expect(row.created, row.name).toBe(0);
      if (row.name !== "contacts") expect(row.updated, row.name).toBe(0);
    }

    const client = new OdooClient({ ...odoo, logger: silentLogger });
    const runs = await client.executeKw<{ state: string; gdpr_agreement_ref: string }[]>(
      "netmera.migration.run",
      "read",
      [[first!.runId, second!.runId]],
      { fields: ["state", "gdpr_agreement_ref"] },
    );
    client.close();
    expect(runs.map((run) => [run.state, run.gdpr_agreement_ref])).toEqual([
      ["done", "DPA-RESYNC-1"],
      ["done", "DPA-RESYNC-1"],
    ]);
  }, 900_000);
});
