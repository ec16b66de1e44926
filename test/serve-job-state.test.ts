import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../bridge/src/server/app.js";
import { INTERRUPTED_MESSAGE, JobManager } from "../bridge/src/server/job-manager.js";
import type { JobRunners } from "../bridge/src/server/jobs.js";
import { odooJobReporter, type OdooCaller } from "../bridge/src/server/odoo-reporter.js";
import { captureLogger, gate, MAPPING, recordingJobs } from "./serve-fixtures.js";

const TOKEN = "job-state-token-0123456789abcdefghij";

let dataDir: string;
const gates: Array<() => void> = [];

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "serve-jobs-"));
  mkdirSync(join(dataDir, "snapshots", "snap-1"), { recursive: true });
});

afterEach(() => {
  for (const open of gates.splice(0)) open();
  rmSync(dataDir, { recursive: true, force: true });
});

function build(jobs: JobRunners) {
  const capture = captureLogger();
  return { app: createApp({ token: TOKEN, logger: capture.logger, jobs, dataDir }), ...capture };
}

function get(app: ReturnType<typeof build>["app"], path: string) {
  return request(app).get(path).set("X-Bridge-Token", TOKEN);
}

async function waitFor(check: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 500 && !check(); attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(check()).toBe(true);
}

function jobFile(id: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(dataDir, "jobs", `${id}.json`), "utf8"));
}

describe("job state on disk", () => {
  it("shows a job that was running when the bridge died as interrupted", async () => {
    const hold = gate();
    gates.push(hold.open);
    const first = build(recordingJobs({ hold: hold.promise }).jobs);
    const started = await request(first.app)
      .post("/runs/7/migrate")
      .set("X-Bridge-Token", TOKEN)
      .send({ snapshotId: "snap-1", mapping: MAPPING });
    expect(started.status).toBe(202);
    const id = started.body.id as string;
    // The file is written on start; progress follows.
    await waitFor(() => jobFile(id).progress !== undefined);
    expect(jobFile(id)).toMatchObject({ id, kind: "migrate", runId: 7, state: "running" });

    // The process dies: the first app is dropped without a shutdown, its job never ends.
    const second = build(recordingJobs().jobs);
    const run = await get(second.app, "/runs/7");
    expect(run.status).toBe(200);
    expect(run.body.running).toBeNull();
    expect(run.body.jobs).toEqual([
      expect.objectContaining({
        id,
        kind: "migrate",
        runId: 7,
        state: "interrupted",
        error: INTERRUPTED_MESSAGE,
        finishedAt: expect.any(String),
      }),
    ]);
    expect(INTERRUPTED_MESSAGE).toMatch(/start the job again to resume/);
    expect(INTERRUPTED_MESSAGE).toMatch(/continues after the last batch Odoo committed/);
    const job = await get(second.app, `/jobs/${id}`);
    expect(job.body.state).toBe("interrupted");
    expect(jobFile(id).state).toBe("interrupted");
    expect(second.text()).toContain("job interrupted");

    // The run is free again: starting the job anew is accepted.
    const again = await request(second.app)
      .post("/runs/7/migrate")
      .set("X-Bridge-Token", TOKEN)
      .send({});
    expect(again.status).toBe(202);
  });

  it("keeps finished jobs with their results across a restart", async () => {
    const first = build(recordingJobs().jobs);
    const started = await request(first.app)
      .post("/runs/8/sample")
      .set("X-Bridge-Token", TOKEN)
      .send({ snapshotId: "snap-1", mapping: MAPPING, sampleSize: 3 });
    const id = started.body.id as string;
    await waitFor(
      () => existsSync(join(dataDir, "jobs", `${id}.json`)) && jobFile(id).state === "succeeded",
    );

    const second = build(recordingJobs().jobs);
    const job = await get(second.app, `/jobs/${id}`);
    expect(job.status).toBe(200);
    expect(job.body).toMatchObject({
      id,
      kind: "sample",
      runId: 8,
      state: "succeeded",
      result: { created: 2, aborted: false },
      progress: { step: "migrate", phase: "contacts", done: 2, total: 2 },
    });
    // Only the record itself is in the folder: no temporary files are left.
    expect(readdirSync(join(dataDir, "jobs"))).toEqual([`${id}.json`]);
  });

  it("forgets the files of jobs past the number kept", async () => {
    const capture = captureLogger();
    const stateDir = join(dataDir, "jobs");
    const manager = new JobManager({ logger: capture.logger, maxFinished: 2, stateDir });
    const ids: string[] = [];
    for (let index = 0; index < 4; index += 1) {
      const job = manager.start(`k${index}`, "rollback", null, async () => ({ index }));
      ids.push(job.id);
      await manager.settled(`k${index}`);
    }
    expect(readdirSync(stateDir).sort()).toEqual(
      ids
        .slice(2)
        .map((id) => `${id}.json`)
        .sort(),
    );
    const reloaded = new JobManager({ logger: capture.logger, stateDir });
    expect(ids.map((id) => reloaded.get(id)?.result ?? null)).toEqual([
      null,
      null,
      { index: 2 },
      { index: 3 },
    ]);
  });

  it("tells Odoo that an interrupted job ended", async () => {
    const capture = captureLogger();
    const stateDir = join(dataDir, "jobs");
    const hold = gate();
    gates.push(hold.open);
    const before = new JobManager({ logger: capture.logger, stateDir });
    const job = before.start("run:9", "migrate", 9, () => hold.promise);

    const calls: unknown[][] = [];
    const odoo: OdooCaller = {
      executeKw: async (model, method, args) => {
        calls.push([model, method, ...args]);
        return true as never;
      },
    };
    const reporter = odooJobReporter({ odoo, logger: capture.logger });
    new JobManager({ logger: capture.logger, stateDir, onChange: reporter.onChange });
    await reporter.flush();
    expect(calls).toEqual([
      [
        "netmera.migration.run",
        "report_bridge_job",
        [9],
        {
          job_id: job.id,
          kind: "migrate",
          state: "cancelled",
          step: false,
          message: INTERRUPTED_MESSAGE,
        },
      ],
    ]);
  });
});
