import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { Router, type Request, type Response } from "express";
import { NotFoundError } from "../core/errors.js";
import { JobConflictError } from "./errors.js";
import type { JobContext, JobManager, JobRecord } from "./job-manager.js";
import type { JobRunners } from "./jobs.js";
import { RunFolder } from "./run-folder.js";
import {
  inventoryBody,
  migrateBody,
  planBody,
  pullBody,
  rollbackBody,
  sampleBody,
} from "./schemas.js";
import type { DataDir } from "./snapshot-store.js";
import { parseRequest, parseRunId } from "./validation.js";

export interface RunRouteDeps {
  jobs: JobRunners;
  manager: JobManager;
  dataDir: DataDir;
}

/** Key under which a run's jobs are serialised: one job per run at a time. */
export function runKey(runId: number): string {
  return `run:${runId}`;
}

/** Return the public view of a job: everything but the internal key. */
export function jobView(job: JobRecord): Omit<JobRecord, "key"> {
  const view: Partial<JobRecord> = { ...job };
  delete view.key;
  return view as Omit<JobRecord, "key">;
}

function ensureIdle(manager: JobManager, runId: number): void {
  if (manager.isRunning(runKey(runId))) {
    throw new JobConflictError(`run ${runId} already has a job running; wait for it to end`);
  }
}

/**
 * Plan the run's snapshot with its mapping unless the plan in the run's folder was made from
 * the same two inputs, then return the plan directory.
 */
async function planIfNeeded(
  jobs: JobRunners,
  folder: RunFolder,
  inputs: { snapshotId: string; snapshotDir: string; mappingSha256: string },
  context: JobContext,
): Promise<string> {
  const known = await folder.read();
  const planned = known.planned;
  if (planned?.snapshotId === inputs.snapshotId && planned.mappingSha256 === inputs.mappingSha256) {
    context.logger.info("plan is current; reusing it");
    return folder.planDir;
  }

  context.onProgress({ step: "plan" });
  await rm(folder.planDir, { recursive: true, force: true });
  await jobs.plan(
    {
      runId: folder.runId,
      snapshotDir: inputs.snapshotDir,
      mappingFile: folder.mappingFile,
      outDir: folder.planDir,
    },
    context,
  );
  await folder.update({
    planned: { snapshotId: inputs.snapshotId, mappingSha256: inputs.mappingSha256 },
  });
  return folder.planDir;
}

/** `POST /runs/:id/<job>` and `GET /runs/:id`. */
export function runRoutes(deps: RunRouteDeps): Router {
  const { jobs, manager, dataDir } = deps;
  const router = Router();

  const accept = (res: Response, job: JobRecord): void => {
    res.status(202).location(`/jobs/${job.id}`).json(jobView(job));
  };

  router.post("/runs/:id/pull", async (req, res) => {
    const runId = parseRunId(req.params.id);
    parseRequest(pullBody, req.body);
    ensureIdle(manager, runId);
    const folder = new RunFolder(dataDir, runId);
    const snapshotId = `pull-${runId}-${Date.now()}-${randomBytes(3).toString("hex")}`;
    const outDir = dataDir.snapshotDir(snapshotId);

    const job = manager.start(runKey(runId), "pull", runId, async (context) => {
      const result = await jobs.pull({ runId, outDir }, context);
      await folder.update({ snapshotId });
      return { snapshotId, result };
    });
    accept(res, job);
  });

  router.post("/runs/:id/plan", async (req, res) => {
    const runId = parseRunId(req.params.id);
    const body = parseRequest(planBody, req.body);
    ensureIdle(manager, runId);
    const folder = new RunFolder(dataDir, runId);
    const inputs = await folder.resolveInputs({ ...body, needMapping: true });

    const job = manager.start(runKey(runId), "plan", runId, async (context) => {
      const planDir = await planIfNeeded(jobs, folder, inputs, context);
      return { snapshotId: inputs.snapshotId, planDir };
    });
    accept(res, job);
  });

  const migrateRoute = (kind: "sample" | "migrate") => {
    return async (req: Request, res: Response) => {
      const runId = parseRunId(req.params.id);
      const body =
        kind === "sample"
          ? parseRequest(sampleBody, req.body)
          : { ...parseRequest(migrateBody, req.body), sampleSize: undefined };
      ensureIdle(manager, runId);
      const folder = new RunFolder(dataDir, runId);
      const inputs = await folder.resolveInputs({ ...body, needMapping: true });

      const job = manager.start(runKey(runId), kind, runId, async (context) => {
        const planDir = await planIfNeeded(jobs, folder, inputs, context);
        context.onProgress({ step: "migrate" });
        const mappingFile = folder.mappingFile;
        const params = { runId, planDir, mappingFile, sampleSize: body.sampleSize };
        return jobs.migrate(params, context);
      });
      accept(res, job);
    };
  };
  router.post("/runs/:id/sample", migrateRoute("sample"));
  router.post("/runs/:id/migrate", migrateRoute("migrate"));

  router.post("/runs/:id/rollback", async (req, res) => {
    const runId = parseRunId(req.params.id);
    const body = parseRequest(rollbackBody, req.body);
    ensureIdle(manager, runId);
    const job = manager.start(runKey(runId), "rollback", runId, (context) =>
      jobs.rollback({ runId, force: body.force === true }, context),
    );
    accept(res, job);
  });

  router.post("/runs/:id/inventory", async (req, res) => {
    const runId = parseRunId(req.params.id);
    const body = parseRequest(inventoryBody, req.body);
    ensureIdle(manager, runId);
    const folder = new RunFolder(dataDir, runId);
    const inputs = await folder.resolveInputs({ snapshotId: body.snapshotId, needMapping: false });

    const job = manager.start(runKey(runId), "inventory", runId, async (context) => {
      const outDir = folder.inventoryDir;
      const { planned } = await folder.read();
      const planDir = planned?.snapshotId === inputs.snapshotId ? folder.planDir : null;
      const params = { runId, snapshotDir: inputs.snapshotDir, outDir, planDir };
      const result = await jobs.inventory({ ...params, customer: body.customer }, context);
      return { outDir, result };
    });
    accept(res, job);
  });

  router.get("/runs/:id", async (req, res) => {
    const runId = parseRunId(req.params.id);
    const inputs = await new RunFolder(dataDir, runId).read();
    const runJobs = manager.forRun(runId);
    if (runJobs.length === 0 && !inputs.snapshotId) {
      throw new NotFoundError(`run ${runId} has no jobs and no snapshot on this bridge`);
    }

    const running = runJobs.find((job) => job.state === "running");
    res.json({
      runId,
      snapshotId: inputs.snapshotId ?? null,
      planned: inputs.planned ?? null,
      running: running ? jobView(running) : null,
      jobs: runJobs.slice(0, 20).map(jobView),
    });
  });

  router.get("/jobs/:id", (req, res) => {
    const job = manager.get(req.params.id);
    if (!job) throw new NotFoundError(`job "${req.params.id}" not found`);
    res.json(jobView(job));
  });

  return router;
}
