import type { Logger } from "../core/log.js";
import type { JobRecord } from "./job-manager.js";

/** The one Odoo call the reporter needs; `OdooClient` from `bridge/src/odoo` has this shape. */
export interface OdooCaller {
  executeKw<T = unknown>(
    model: string,
    method: string,
    args: unknown[],
    kwargs?: Record<string, unknown>,
  ): Promise<T>;
}

/** Bridge job fields of the run form, in the shape `report_bridge_job` receives. */
export interface BridgeJobReport {
  job_id: string;
  kind: string;
  state: string;
  step: string | false;
  message: string | false;
}

export interface JobReporter {
  /** Pass to `JobManager` as `onChange`. */
  onChange(job: Readonly<JobRecord>): void;
  /** Resolve when every report queued so far has been sent (or has failed). */
  flush(): Promise<void>;
}

function reportOf(job: Readonly<JobRecord>): BridgeJobReport {
  const progress = job.progress;
  const counts =
    progress.done !== undefined && progress.total !== undefined
      ? ` ${progress.done}/${progress.total}`
      : "";
  const detail = [progress.phase, progress.message].filter(Boolean).join(": ");
  return {
    job_id: job.id,
    kind: job.kind,
    // The run form knows four job states; an interrupted job ended without finishing too.
    state: job.state === "interrupted" ? "cancelled" : job.state,
    step: progress.step ?? false,
    message: job.error ?? (detail ? `${detail}${counts}` : false),
  };
}

/**
 * Tell Odoo about the jobs of its runs by calling `report_bridge_job` on the run record. Calls
 * for one run are sent one at a time and in order. While one is in flight only the newest state
 * waits, so a job that reports progress quickly costs one call per round trip, not one per
 * report. A failed call is logged and dropped, and the job itself goes on.
 */
export function odooJobReporter(options: {
  odoo: OdooCaller;
  logger: Logger;
  model?: string;
}): JobReporter {
  const model = options.model ?? "netmera.migration.run";
  const pending = new Map<number, BridgeJobReport>();
  const sending = new Map<number, Promise<void>>();
  const lastSent = new Map<number, string>();

  const drain = async (runId: number): Promise<void> => {
    for (;;) {
      const report = pending.get(runId);
      if (!report) break;
      pending.delete(runId);
      const text = JSON.stringify(report);
      if (lastSent.get(runId) === text) continue;

      try {
        await options.odoo.executeKw(model, "report_bridge_job", [[runId], report]);
        lastSent.set(runId, text);
      } catch (error) {
        options.logger.warn(
          { err: error, runId, jobId: report.job_id, state: report.state },
          "could not report the bridge job to Odoo",
        );
      }
    }
    sending.delete(runId);
  };

  return {
    onChange(job) {
      if (job.runId === null) return;

      const runId = job.runId;
      pending.set(runId, reportOf(job));
      // Started on a later tick, so `drain` cannot end (and delete its entry) before it is set.
      if (!sending.has(runId))
        sending.set(
          runId,
          Promise.resolve().then(() => drain(runId)),
        );
    },
    async flush() {
      while (sending.size > 0) await Promise.all(sending.values());
    },
  };
}
