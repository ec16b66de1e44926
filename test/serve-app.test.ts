import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OdooFaultError } from "../bridge/src/core/errors.js";
import { createApp } from "../bridge/src/server/app.js";
import { JobManager } from "../bridge/src/server/job-manager.js";
import type { JobRunners } from "../bridge/src/server/jobs.js";
import { captureLogger, gate, MAPPING, recordingJobs } from "./serve-fixtures.js";

const TOKEN = "t0ken-for-tests-0123456789abcdef-XYZ";

let dataDir: string;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "serve-app-"));
  mkdirSync(join(dataDir, "snapshots", "snap-1"), { recursive: true });
});

afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

function build(jobs: JobRunners, manager?: JobManager) {
  const capture = captureLogger();
  const app = createApp({ token: TOKEN, logger: capture.logger, jobs, dataDir, manager });
  return { app, ...capture };
}

async function waitForJob(app: ReturnType<typeof build>["app"], id: string) {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const response = await request(app).get(`/jobs/${id}`).set("X-Bridge-Token", TOKEN);
    if (response.body.state !== "running") return response.body;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`job ${id} still running`);
}

describe("bridge API authentication", () => {
  it("serves /health without a token", async () => {
    const { app } = build(recordingJobs().jobs);
    const response = await request(app).get("/health");
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: "ok" });
  });

  it.each([
    ["no token", {}, "no bridge token"],
    ["wrong bearer token", { Authorization: `Bearer ${TOKEN.slice(0, -1)}x` }, "does not match"],
    ["short token", { Authorization: "Bearer abc" }, "does not match"],
    ["wrong header token", { "X-Bridge-Token": "nope" }, "does not match"],
    ["basic scheme", { Authorization: `Basic ${TOKEN}` }, "no bridge token"],
  ])("rejects %s with 401", async (_label, headers, detail) => {
    const { app } = build(recordingJobs().jobs);
    const response = await request(app).get("/runs/1").set(headers);
    expect(response.status).toBe(401);
    expect(response.body).toEqual({
      error: "unauthorized",
      detail: expect.stringContaining(detail),
      requestId: expect.any(String),
    });
    expect(JSON.stringify(response.body)).not.toContain(TOKEN);
  });

  it("accepts the bearer and the header form", async () => {
    const { app } = build(recordingJobs().jobs);
    const bearer = await request(app).get("/jobs/none").set("Authorization", `Bearer ${TOKEN}`);
    const header = await request(app).get("/jobs/none").set("X-Bridge-Token", TOKEN);
    expect(bearer.status).toBe(404);
    expect(header.status).toBe(404);
    expect(header.body.error).toBe('job "none" not found');
  });
});

describe("bridge API validation", () => {
  it("lists every invalid field with its path", async () => {
    const { jobs, calls } = recordingJobs();
    const { app } = build(jobs);
    const response = await request(app)
      .post("/runs/7/sample")
      .set("X-Bridge-Token", TOKEN)
      .send({ snapshotId: "../etc", sampleSize: 0, mapping: "x", extra: true });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: "invalid request",
      requestId: expect.any(String),
      issues: [
        {
          path: "snapshotId",
          message: "must be a snapshot id returned by POST /snapshots or a pull job",
        },
        { path: "mapping", message: "Invalid input: expected record, received string" },
        { path: "sampleSize", message: "Too small: expected number to be >=1" },
        { path: "(body)", message: 'Unrecognized key: "extra"' },
      ],
    });
    expect(calls).toEqual([]);
  });

  it("rejects a mapping that is not a mapping", async () => {
    const { jobs, calls } = recordingJobs();
    const { app } = build(jobs);
    const response = await request(app)
      .post("/runs/1/plan")
      .set("X-Bridge-Token", TOKEN)
      .send({ snapshotId: "snap-1", mapping: { entries: [] } });
    expect(response.status).toBe(400);
    expect(response.body.issues).toEqual([
      { path: "mapping.version", message: "Invalid input: expected 1" },
      {
        path: "mapping.snapshotHash",
        message: "Invalid input: expected string, received undefined",
      },
      { path: "mapping.proposedAt", message: "Invalid input: expected string, received undefined" },
      { path: "mapping.settings", message: "Invalid input: expected object, received undefined" },
    ]);
    expect(calls).toEqual([]);
    expect(existsSync(join(dataDir, "runs", "1", "mapping.json"))).toBe(false);
  });

  it("rejects a run id that is not a positive integer", async () => {
    const { app } = build(recordingJobs().jobs);
    const response = await request(app).post("/runs/0x1/plan").set("X-Bridge-Token", TOKEN);
    expect(response.status).toBe(400);
    expect(response.body.issues).toEqual([
      { path: "id", message: 'run id must be a positive integer (got "0x1")' },
    ]);
  });

  it("names both inputs a first plan is missing", async () => {
    const { app } = build(recordingJobs().jobs);
    const response = await request(app).post("/runs/3/plan").set("X-Bridge-Token", TOKEN).send({});
    expect(response.status).toBe(400);
    expect(response.body.issues).toEqual([
      { path: "snapshotId", message: "required: this run has no snapshot yet" },
      { path: "mapping", message: "required: this run has no mapping yet" },
    ]);
  });

  it("answers 400 for a body that is not JSON", async () => {
    const { app } = build(recordingJobs().jobs);
    const response = await request(app)
      .post("/runs/3/plan")
      .set("X-Bridge-Token", TOKEN)
      .set("Content-Type", "application/json")
      .send("{not json");
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: "request body is not valid JSON",
      requestId: expect.any(String),
    });
  });

  it("answers 400 for JSON that is not an object", async () => {
    const { app } = build(recordingJobs().jobs);
    const response = await request(app)
      .post("/runs/3/plan")
      .set("X-Bridge-Token", TOKEN)
      .set("Content-Type", "application/json")
      .send("null");
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: "request body must be a JSON object",
      requestId: expect.any(String),
    });
  });

  it("answers 415 for a body that is not JSON at all", async () => {
    const { jobs, calls } = recordingJobs();
    const { app } = build(jobs);
    const response = await request(app)
      .post("/runs/3/plan")
      .set("X-Bridge-Token", TOKEN)
      .set("Content-Type", "text/plain")
      .send('{"snapshotId": "upload-0123456789abcdef"}');
    expect(response.status).toBe(415);
    expect(response.body).toEqual({
      error: "request body is text/plain; send JSON with content-type application/json",
      requestId: expect.any(String),
    });
    expect(calls).toEqual([]);
  });

  it("names the limit of a JSON body that is too large", async () => {
    const capture = captureLogger();
    const app = createApp({
      token: TOKEN,
      logger: capture.logger,
      jobs: recordingJobs().jobs,
      dataDir,
      jsonLimit: "1kb",
    });
    const response = await request(app)
      .post("/runs/3/plan")
      .set("X-Bridge-Token", TOKEN)
      .send({ mapping: "x".repeat(2000) });
    expect(response.status).toBe(413);
    expect(response.body.error).toBe(
      "request body is larger than the limit of 1024 bytes for JSON bodies; upload snapshots " +
        "as a zip to POST /snapshots",
    );
  });

  it("answers 404 for an unknown snapshot", async () => {
    const { app } = build(recordingJobs().jobs);
    const response = await request(app)
      .post("/runs/3/plan")
      .set("X-Bridge-Token", TOKEN)
      .send({ snapshotId: "missing", mapping: MAPPING });
    expect(response.status).toBe(404);
    expect(response.body.error).toBe('snapshot "missing" not found; upload it or pull it first');
  });
});

describe("bridge API jobs", () => {
  it("plans then migrates a sample and reports progress", async () => {
    const { jobs, calls } = recordingJobs();
    const { app } = build(jobs);
    const started = await request(app)
      .post("/runs/5/sample")
      .set("X-Bridge-Token", TOKEN)
      .send({ snapshotId: "snap-1", mapping: MAPPING, sampleSize: 25 });
    expect(started.status).toBe(202);
    expect(started.headers.location).toBe(`/jobs/${started.body.id}`);
    expect(started.body).toMatchObject({ runId: 5, kind: "sample", state: "running" });

    const finished = await waitForJob(app, started.body.id);
    expect(finished.state).toBe("succeeded");
    expect(finished.result).toEqual({ created: 2, aborted: false });
    expect(finished.progress).toEqual({ step: "migrate", phase: "contacts", done: 2, total: 2 });
    const runDir = join(dataDir, "runs", "5");
    expect(calls).toEqual([
      {
        job: "plan",
        params: {
          runId: 5,
          snapshotDir: join(dataDir, "snapshots", "snap-1"),
          mappingFile: join(runDir, "mapping.json"),
          outDir: join(runDir, "work"),
        },
      },
      {
        job: "migrate",
        params: {
          runId: 5,
          planDir: join(runDir, "work"),
          mappingFile: join(runDir, "mapping.json"),
          sampleSize: 25,
        },
      },
    ]);

    const migrated = await request(app).post("/runs/5/migrate").set("X-Bridge-Token", TOKEN);
    expect(migrated.status).toBe(202);
    await waitForJob(app, migrated.body.id);
    // Same snapshot and mapping: the plan is reused and only migrate runs again.
    expect(calls.map((call) => call.job)).toEqual(["plan", "migrate", "migrate"]);
    expect(calls[2]?.params).toEqual({
      runId: 5,
      planDir: join(runDir, "work"),
      mappingFile: join(runDir, "mapping.json"),
    });

    const run = await request(app).get("/runs/5").set("X-Bridge-Token", TOKEN);
    expect(run.status).toBe(200);
    expect(run.body.snapshotId).toBe("snap-1");
    expect(run.body.running).toBeNull();
    expect(run.body.jobs.map((job: { kind: string }) => job.kind)).toEqual(["migrate", "sample"]);
  });

  it("answers 409 while the run has a job running", async () => {
    const hold = gate();
    const { jobs } = recordingJobs({ hold: hold.promise });
    const { app } = build(jobs);
    const first = await request(app)
      .post("/runs/9/migrate")
      .set("X-Bridge-Token", TOKEN)
      .send({ snapshotId: "snap-1", mapping: MAPPING });
    expect(first.status).toBe(202);

    for (const route of ["migrate", "sample", "rollback", "inventory", "plan", "pull"]) {
      const second = await request(app).post(`/runs/9/${route}`).set("X-Bridge-Token", TOKEN);
      expect(second.status, route).toBe(409);
      expect(second.body.error).toBe("run 9 already has a job running; wait for it to end");
    }
    const other = await request(app)
      .post("/runs/10/rollback")
      .set("X-Bridge-Token", TOKEN)
      .send({});
    expect(other.status).toBe(202);

    const running = await request(app).get("/runs/9").set("X-Bridge-Token", TOKEN);
    expect(running.body.running).toMatchObject({ id: first.body.id, kind: "migrate" });
    hold.open();
    expect((await waitForJob(app, first.body.id)).state).toBe("succeeded");
  });

  it("renders the inventory of the run's snapshot", async () => {
    const { jobs, calls } = recordingJobs();
    const { app } = build(jobs);
    const started = await request(app)
      .post("/runs/4/inventory")
      .set("X-Bridge-Token", TOKEN)
      .send({ snapshotId: "snap-1", customer: "Acme" });
    const finished = await waitForJob(app, started.body.id);
    expect(finished.result).toEqual({
      outDir: join(dataDir, "runs", "4", "inventory"),
      result: { documents: 5 },
    });
    expect(calls[0]?.params).toEqual({
      runId: 4,
      snapshotDir: join(dataDir, "snapshots", "snap-1"),
      outDir: join(dataDir, "runs", "4", "inventory"),
      planDir: null,
      customer: "Acme",
    });
  });

  it("pulls into a new snapshot that later jobs use", async () => {
    const { jobs, calls } = recordingJobs();
    const pull: JobRunners["pull"] = async (params, context) => {
      mkdirSync((params as { outDir: string }).outDir, { recursive: true });
      return jobs.pull(params, context);
    };
    const { app } = build({ ...jobs, pull });
    const started = await request(app).post("/runs/6/pull").set("X-Bridge-Token", TOKEN);
    const finished = await waitForJob(app, started.body.id);
    expect(finished.state).toBe("succeeded");
    expect(finished.result.snapshotId).toMatch(/^pull-6-\d+-[0-9a-f]{6}$/);

    const plan = await request(app)
      .post("/runs/6/plan")
      .set("X-Bridge-Token", TOKEN)
      .send({ mapping: MAPPING });
    await waitForJob(app, plan.body.id);
    expect(calls[1]?.params).toMatchObject({
      snapshotDir: join(dataDir, "snapshots", finished.result.snapshotId),
    });
  });
});

describe("bridge API errors", () => {
  it("hides internals of an unexpected failure", async () => {
    const file = join(dataDir, "not-a-folder");
    writeFileSync(file, "x");
    const capture = captureLogger();
    const app = createApp({
      token: TOKEN,
      logger: capture.logger,
      jobs: recordingJobs().jobs,
      dataDir: file,
    });
    const response = await request(app)
      .post("/snapshots")
      .set("X-Bridge-Token", TOKEN)
      .set("Content-Type", "application/zip")
      .send(Buffer.from("PK"));
    expect(response.status).toBe(500);
    expect(response.body).toEqual({ error: "internal error", requestId: expect.any(String) });
    expect(response.text).not.toContain("ENOTDIR");
    expect(response.text).not.toContain(dataDir);

    const logged = capture.lines().map((line) => JSON.parse(line));
    const failure = logged.find((line) => line.msg === "request failed");
    expect(failure.requestId).toBe(response.body.requestId);
    expect(failure.err.stack).toContain("ENOTDIR");
  });

  it("keeps Odoo tracebacks and unknown errors out of job records", async () => {
    const traceback = [
      "Traceback (most recent call last):",
      '  File "/opt/odoo/src/odoo/http.py", line 1, in dispatch',
      "psycopg2.errors.UndefinedTable: relation secret_table does not exist",
    ].join("\n");
    const base = recordingJobs().jobs;
    const failing: JobRunners = {
      ...base,
      migrate: async () => {
        throw new OdooFaultError("netmera.migration.run", "import_batch", "1", traceback);
      },
      rollback: async () => {
        throw new Error("connect ECONNREFUSED 10.0.0.1:5432 password=hunter2");
      },
    };
    const { app } = build(failing);
    const migrate = await request(app)
      .post("/runs/2/migrate")
      .set("X-Bridge-Token", TOKEN)
      .send({ snapshotId: "snap-1", mapping: MAPPING });
    const migrateJob = await waitForJob(app, migrate.body.id);
    expect(migrateJob.state).toBe("failed");
    expect(migrateJob.error).toBe(
      "netmera.migration.run.import_batch failed in Odoo; the bridge log has the details",
    );

    const rollback = await request(app).post("/runs/3/rollback").set("X-Bridge-Token", TOKEN);
    const rollbackJob = await waitForJob(app, rollback.body.id);
    expect(rollbackJob.state).toBe("failed");
    expect(rollbackJob.error).toBe("internal error");
  });

  it("answers unknown routes with JSON 404", async () => {
    const { app } = build(recordingJobs().jobs);
    const response = await request(app).delete("/runs/1").set("X-Bridge-Token", TOKEN);
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: "no route for DELETE /runs/1" });
  });
});

describe("bridge API logs", () => {
  it("logs one line per request without the token", async () => {
    const { app, lines, text } = build(recordingJobs().jobs);
    await request(app).get("/runs/1?token=abc").set("Authorization", `Bearer ${TOKEN}`);
    await request(app).get("/health").set("X-Bridge-Token", TOKEN);
    await request(app).get("/runs/1").set("X-Bridge-Token", `${TOKEN}-wrong`);

    const requests = lines()
      .map((line) => JSON.parse(line))
      .filter((line) => line.msg === "request");
    expect(requests.map(({ method, path, status }) => ({ method, path, status }))).toEqual([
      { method: "GET", path: "/runs/1", status: 404 },
      { method: "GET", path: "/health", status: 200 },
      { method: "GET", path: "/runs/1", status: 401 },
    ]);
    for (const line of requests) {
      expect(line.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(line.durationMs).toBeGreaterThanOrEqual(0);
    }
    expect(text()).not.toContain(TOKEN);
  });
});
