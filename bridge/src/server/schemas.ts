import { z } from "zod";
import { mappingSchema } from "../mapping/types.js";
import { SNAPSHOT_ID_PATTERN } from "./snapshot-store.js";

const snapshotId = z
  .string()
  .regex(SNAPSHOT_ID_PATTERN, "must be a snapshot id returned by POST /snapshots or a pull job");

/**
 * Schema of a mapping.json document in a request. A document the mapping schema rejects gets
 * 400 before it is stored as the run's mapping. A valid one is kept as sent, and `plan` checks
 * its confirmation.
 */
const mapping = z.record(z.string(), z.unknown()).superRefine((value, context) => {
  const parsed = mappingSchema.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      context.addIssue({ code: "custom", message: issue.message, path: issue.path });
    }
  }
});

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
