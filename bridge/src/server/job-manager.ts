import { randomUUID } from "node:crypto";
import type { Logger } from "../core/log.js";
import { JobConflictError, publicMessage, ShuttingDownError } from "./errors.js";

export type JobState = "running" | "succeeded" | "failed" | "cancelled";

/** Progress a job reports while it runs; every field is optional. */
export interface JobProgress {
  /** Step of a job made of several (`plan`, then `migrate`). */
  step?: string;
  /** Import phase (`contacts`, `history` …) or stage of the step. */
  phase?: string;
  done?: number;
  total?: number;
  message?: string;
}

/** Context every job implementation receives besides its parameters. */
export interface JobContext {
  logger: Logger;
  /** Aborted on shutdown: finish the batch in flight, keep its checkpoint, then stop. */
  signal: AbortSignal;
  onProgress(progress: JobProgress): void;
}

export interface JobRecord {
  id: string;
  /** Jobs with the same key never run at the same time (`run:42`, `resync`). */
  key: string;
  runId: number | null;
  kind: string;
  state: JobState;
  progress: JobProgress;
  result?: unknown;
  error?: string;
  createdAt: string;
  finishedAt?: string;
}

export interface JobManagerOptions {
  logger: Logger;
  /** Finished jobs kept for `GET /jobs/:id`; older ones are forgotten first. */
  maxFinished?: number;
  /** Called on every start, progress report and end, for example to tell Odoo. */
  onChange?: (job: Readonly<JobRecord>) => void;
}

interface RunningJob {
  record: JobRecord;
  controller: AbortController;
  done: Promise<void>;
}

/**
 * Runs jobs in the background and keeps their state for the API. At most one job runs per key;
 * a second start for a busy key raises `JobConflictError`. Job state is kept in memory only, so
 * a restarted bridge has no record of earlier jobs; the run state that matters is kept in Odoo.
 */
export class JobManager {
  private readonly logger: Logger;
  private readonly maxFinished: number;
  private readonly onChange: (job: Readonly<JobRecord>) => void;
  private readonly jobs = new Map<string, JobRecord>();
  private readonly running = new Map<string, RunningJob>();
  private closing = false;

  constructor(options: JobManagerOptions) {
    this.logger = options.logger;
    this.maxFinished = options.maxFinished ?? 500;
    this.onChange = options.onChange ?? (() => {});
  }

  /** Start `work` in the background and return its record at once. */
  start(
    key: string,
    kind: string,
    runId: number | null,
    work: (context: JobContext) => Promise<unknown>,
  ): JobRecord {
    if (this.closing) throw new ShuttingDownError("the bridge is shutting down; try again later");
    const busy = this.running.get(key);
    if (busy) {
      throw new JobConflictError(
        `${busy.record.kind} job ${busy.record.id} is still running for ${key}; wait for it to end`,
      );
    }

    const record: JobRecord = {
      id: randomUUID(),
      key,
      runId,
      kind,
      state: "running",
      progress: {},
      createdAt: new Date().toISOString(),
    };
    const controller = new AbortController();
    const logger = this.logger.child({ jobId: record.id, kind, runId });
    const context: JobContext = {
      logger,
      signal: controller.signal,
      onProgress: (progress) => {
        record.progress = { ...record.progress, ...progress };
        this.notify(record);
      },
    };
    this.jobs.set(record.id, record);
    // Started on the next tick so the caller can respond before the job calls Odoo, because the
    // Odoo request that started the job still holds its transaction open.
    const done = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => work(context))
      .then(
        (result) => this.finish(record, "succeeded", { result }),
        (error: unknown) => this.fail(record, controller.signal, logger, error),
      );
    this.running.set(key, { record, controller, done });
    logger.info("job started");
    this.notify(record);
    return record;
  }

  get(id: string): JobRecord | undefined {
    return this.jobs.get(id);
  }

  /** Jobs of one run, newest first. */
  forRun(runId: number): JobRecord[] {
    return [...this.jobs.values()].filter((job) => job.runId === runId).reverse();
  }

  isRunning(key: string): boolean {
    return this.running.has(key);
  }

  /** Resolve when the job running under `key` (if any) has ended. */
  async settled(key: string): Promise<void> {
    await this.running.get(key)?.done;
  }

  /**
   * Take no new jobs, abort the running ones (they stop after the batch in flight) and wait
   * until every one has ended.
   */
  async shutdown(): Promise<void> {
    this.closing = true;
    const running = [...this.running.values()];
    for (const job of running) job.controller.abort();
    await Promise.all(running.map((job) => job.done));
  }

  private fail(record: JobRecord, signal: AbortSignal, logger: Logger, error: unknown): void {
    if (signal.aborted) {
      logger.warn({ err: error }, "job stopped by shutdown");
      this.finish(record, "cancelled", { error: "stopped because the bridge shut down" });
      return;
    }

    logger.error({ err: error }, "job failed");
    this.finish(record, "failed", { error: publicMessage(error) });
  }

  private finish(
    record: JobRecord,
    state: JobState,
    outcome: { result?: unknown; error?: string },
  ): void {
    this.running.delete(record.key);
    record.state = state;
    record.finishedAt = new Date().toISOString();
    if (outcome.result !== undefined) record.result = outcome.result;
    if (outcome.error !== undefined) record.error = outcome.error;
    if (state === "succeeded") this.logger.info({ jobId: record.id }, "job succeeded");
    this.notify(record);
    this.forgetOldJobs();
  }

  private notify(record: JobRecord): void {
    try {
      this.onChange(record);
    } catch (error) {
      this.logger.error({ err: error, jobId: record.id }, "job change listener failed");
    }
  }

  private forgetOldJobs(): void {
    const finished = [...this.jobs.values()].filter((job) => job.state !== "running");
    for (const job of finished.slice(0, Math.max(0, finished.length - this.maxFinished))) {
      this.jobs.delete(job.id);
    }
  }
}
