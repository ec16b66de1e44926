import { z } from "zod";
import { SNAPSHOT_ID_PATTERN } from "./snapshot-store.js";

const snapshotId = z
  .string()
  .regex(SNAPSHOT_ID_PATTERN, "must be a snapshot id returned by POST /snapshots or a pull job");

/** A mapping.json document; `plan` checks its content and confirmation in full. */
const mapping = z.record(z.string(), z.unknown());

/**
 * Bodies of the run routes. `snapshotId` and `mapping` may be left out once an earlier job of
 * the same run supplied them; the bridge keeps both in the run's folder.
 */
export const pullBody = z.object({}).strict();

export const planBody = z
  .object({ snapshotId: snapshotId.optional(), mapping: mapping.optional() })
  .strict();

export const migrateBody = planBody;

export const sampleBody = planBody
  .extend({ sampleSize: z.number().int().min(1).max(100_000).default(100) })
  .strict();

export const rollbackBody = z.object({ force: z.boolean().optional() }).strict();

export const inventoryBody = z
  .object({ snapshotId: snapshotId.optional(), customer: z.string().min(1).max(200).optional() })
  .strict();
