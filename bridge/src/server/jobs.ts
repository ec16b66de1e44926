import type { JobContext } from "./job-manager.js";

/**
 * The work the API can start. Each job is a plain async function of its parameters and a
 * context (logger, abort signal, progress callback), so the server runs the real commands in
 * production and simple in-process functions in tests. Results are JSON summaries that
 * `GET /jobs/:id` returns.
 */
export type JobFunction<P, R = unknown> = (params: P, context: JobContext) => Promise<R>;

/** Pull from Netmera into a new snapshot folder. */
export interface PullParams {
  runId: number | null;
  /** Folder to create; it must not exist yet. */
  outDir: string;
}

/** Transform a snapshot with a confirmed mapping into a plan directory. */
export interface PlanParams {
  runId: number | null;
  snapshotDir: string;
  mappingFile: string;
  /** Receives `plan/`, `quarantine.csv`, `flags.csv` and `reconciliation.json`. */
  outDir: string;
}

/** Import a plan into Odoo, all of it or a sample. */
export interface MigrateParams {
  /** Odoo run to import into; null lets `migrate` find or create the run itself. */
  runId: number | null;
  /** The `outDir` a plan job wrote. */
  planDir: string;
  /** Confirmed mapping.json the plan was made from; needed when `runId` is null. */
  mappingFile?: string;
  /** Import only this many contacts (with what they need), as a sample run. */
  sampleSize?: number;
  /**
   * Data processing agreement under which a run this job creates is authorised (re-sync only:
   * runs started from Odoo are authorised there by a person).
   */
  gdprAgreement?: string;
}

export interface RollbackParams {
  runId: number;
  /** Roll back although people worked on records of the run since it wrote them. */
  force?: boolean;
}

/** Render the written inventory of a snapshot as HTML and PDF. */
export interface InventoryParams {
  runId: number | null;
  snapshotDir: string;
  outDir: string;
  /** Plan directory of the run, for the data-quality section; null before any plan. */
  planDir: string | null;
  /** Customer name for the cover page. */
  customer?: string;
}

export interface JobRunners {
  pull: JobFunction<PullParams>;
  plan: JobFunction<PlanParams>;
  migrate: JobFunction<MigrateParams>;
  rollback: JobFunction<RollbackParams>;
  inventory: JobFunction<InventoryParams>;
}
