import { randomUUID } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../core/log.js";
import { JobConflictError, publicMessage, ShuttingDownError } from "./errors.js";

/**
 * `cancelled`: stopped by a shutdown after its batch in flight. `interrupted`: found running in
 * the state folder when the bridge started, so the process died while it ran.
 */
export type JobState = "running" | "succeeded" | "failed" | "cancelled" | "interrupted";

/** Error of a job stopped by shutdown; each job keeps its checkpoint, so a new start resumes. */
export const CANCELLED_MESSAGE =
  "stopped because the bridge shut down; start the job again to resume (migrate continues " +
  "after the last batch Odoo committed)";

/** Error of a job the bridge found running in its state folder when it started. */
export const INTERRUPTED_MESSAGE =
  "the bridge stopped while this job was running; start the job again to resume (migrate " +
  "continues after the last batch Odoo committed)";

/** Minimum time between two writes of a running job's progress to its state file. */
const PROGRESS_WRITE_INTERVAL_MS = 1000;

const JOB_FILE_PATTERN = /^[0-9a-f-]{36}\.json$/;

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
  /**
   * Folder that keeps one JSON file per job, so that a restarted bridge still reports its
   * earlier jobs. Without it, job state lives in memory only.
   */
  stateDir?: string;
}

interface RunningJob {
  record: JobRecord;
  controller: AbortController;
  done: Promise<void>;
}

/**
 * Runs jobs in the background and keeps their state for the API. At most one job runs per key;
 * a second start for a busy key raises `JobConflictError`. With a `stateDir`, each job's record
 * is also written to a file there and read back on the next start. Start and end are written at
 * once, progress at most once a second. The run state that matters is kept in Odoo.
 */
export class JobManager {
  private readonly logger: Logger;
  private readonly maxFinished: number;
  private readonly onChange: (job: Readonly<JobRecord>) => void;
  private readonly jobs = new Map<string, JobRecord>();
  private readonly running = new Map<string, RunningJob>();
  private closing = false;
  private readonly stateDir: string | undefined;
  private readonly lastWrite = new Map<string, number>();
  private readonly pendingWrite = new Map<string, NodeJS.Timeout>();

  constructor(options: JobManagerOptions) {
    this.logger = options.logger;
    this.maxFinished = options.maxFinished ?? 500;
    this.onChange = options.onChange ?? (() => {});
    this.stateDir = options.stateDir;
    if (this.stateDir) this.load(this.stateDir);
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
    const logger = jobLogger(this.logger, { jobId: record.id, kind, runId });
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
      this.finish(record, "cancelled", { error: CANCELLED_MESSAGE });
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
    this.persist(record);
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
      if (this.stateDir) rmSync(join(this.stateDir, `${job.id}.json`), { force: true });
    }
  }

  /**
   * Write the record's file now when the job starts or ends, or when its last write is a second
   * old. Otherwise write it once that second is over, so quick progress costs one write a second.
   */
  private persist(record: JobRecord): void {
    if (!this.stateDir) return;

    const waiting = this.pendingWrite.get(record.id);
    const since = Date.now() - (this.lastWrite.get(record.id) ?? 0);
    const first = !this.lastWrite.has(record.id);
    if (record.state !== "running" || first || since >= PROGRESS_WRITE_INTERVAL_MS) {
      if (waiting) clearTimeout(waiting);
      this.pendingWrite.delete(record.id);
      this.writeRecord(record);
      return;
    }

    if (waiting) return;
    const timer = setTimeout(() => {
      this.pendingWrite.delete(record.id);
      this.writeRecord(record);
    }, PROGRESS_WRITE_INTERVAL_MS - since);
    timer.unref();
    this.pendingWrite.set(record.id, timer);
  }

  /** Write to a temporary file and rename it, so that a crash never leaves half a record. */
  private writeRecord(record: JobRecord): void {
    const path = join(this.stateDir!, `${record.id}.json`);
    try {
      mkdirSync(this.stateDir!, { recursive: true });
      writeFileSync(`${path}.tmp`, `${JSON.stringify(record)}\n`);
      renameSync(`${path}.tmp`, path);
      if (record.state === "running") this.lastWrite.set(record.id, Date.now());
      else this.lastWrite.delete(record.id);
    } catch (error) {
      this.logger.warn({ err: error, jobId: record.id }, "could not write the job state file");
    }
  }

  /** Read the job files of an earlier process; a job that was running then is interrupted. */
  private load(dir: string): void {
    let names: string[];
    try {
      names = readdirSync(dir).filter((name) => JOB_FILE_PATTERN.test(name));
    } catch {
      return;
    }

    const records: JobRecord[] = [];
    for (const name of names) {
      try {
        records.push(JSON.parse(readFileSync(join(dir, name), "utf8")) as JobRecord);
      } catch (error) {
        this.logger.warn({ err: error, file: join(dir, name) }, "skipped an unreadable job file");
      }
    }
    records.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    for (const record of records) this.jobs.set(record.id, record);
    for (const record of records.filter((job) => job.state === "running")) {
      record.state = "interrupted";
      record.error = INTERRUPTED_MESSAGE;
      record.finishedAt = new Date().toISOString();
      this.logger.warn(
        { jobId: record.id, kind: record.kind, runId: record.runId },
        "job interrupted",
      );
      this.notify(record);
    }
    this.forgetOldJobs();
  }
}

/**
 * Create the logger of one job, whose lines carry the job id, kind and run. The work inside logs
 * the run id too (migrate names the run it opened), and pino would then write the key twice.
 * So the job's run is bound only when the job has one, and a line naming the same run drops its
 * own key. A job without a run (a re-sync) takes the run id from the line.
 */
export function jobLogger(
  logger: Logger,
  job: { jobId: string; kind: string; runId: number | null },
): Logger {
  const { runId, ...rest } = job;
  if (runId === null) return logger.child(rest);

  return logger.child(
    { ...rest, runId },
    {
      formatters: {
        log(object: object) {
          if (!("runId" in object)) return object;
          const { runId: lineRunId, ...line } = object as Record<string, unknown>;
          // Another run than the job's own stays visible under its own key.
          return lineRunId === runId ? line : { ...line, otherRunId: lineRunId };
        },
      },
    },
  );
}
