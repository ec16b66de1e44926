import { readFile } from "node:fs/promises";
import { z } from "zod";
import { NotFoundError, OdooFaultError } from "../core/errors.js";
import type { OdooClient } from "../odoo/client.js";
import type { RunReconciliation } from "./view-model.js";

/** Model of migration runs in the netmera_migration addon. */
export const RUN_MODEL = "netmera.migration.run";

const count = z.number().int().nonnegative();

/** Result of `get_reconciliation`: per-phase counts read back from the ledger and Odoo. */
const reconciliationSchema = z.object({
  phases: z.array(
    z.looseObject({
      name: z.string(),
      created: count,
      updated: count,
      unchanged: count,
      errors: count,
      in_odoo: count,
    }),
  ),
});

/** Raise a clear error when no run with `runId` exists (or the user cannot read it). */
async function assertRunExists(client: OdooClient, runId: number): Promise<void> {
  const found = await client.executeKw<number[]>(RUN_MODEL, "search", [[["id", "=", runId]]]);
  if (found.length === 0) {
    throw new NotFoundError(`migration run ${runId} not found in Odoo (${RUN_MODEL})`);
  }
}

/** Read a run's reconciliation per phase from Odoo. */
export async function fetchRunReconciliation(
  client: OdooClient,
  runId: number,
): Promise<RunReconciliation> {
  await assertRunExists(client, runId);
  const result = await client.executeKw<unknown>(RUN_MODEL, "get_reconciliation", [[runId]]);
  const parsed = reconciliationSchema.safeParse(result);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join(".") || "(top level)"}: ${issue.message}`)
      .join("; ");
    throw new OdooFaultError(
      RUN_MODEL,
      "get_reconciliation",
      "unexpected result",
      `${RUN_MODEL}.get_reconciliation returned an unexpected result for run ${runId}: ${problems}`,
    );
  }

  const pendingOwners = await client.executeKw<number>(RUN_MODEL, "pending_owner_count", [[runId]]);
  const [record] = await client.executeKw<{ state?: unknown; rolled_back_at?: unknown }[]>(
    RUN_MODEL,
    "read",
    [[runId]],
    { fields: ["state", "rolled_back_at"] },
  );
  // Odoo writes an empty datetime as false.
  const rolledBackAt =
    record?.state === "rolled_back"
      ? typeof record.rolled_back_at === "string"
        ? record.rolled_back_at
        : "an unknown time"
      : null;
  return { runId, phases: parsed.data.phases, pendingOwners, rolledBackAt };
}

/** Return the name of a run's inventory PDF in Odoo, which the command line and `serve` share. */
export function inventoryAttachmentName(runId: number): string {
  return `netmera-inventory-run-${runId}.pdf`;
}

export interface AttachedInventory {
  attachmentId: number;
  /** True when the new content was written over an earlier inventory PDF of the run. */
  replaced: boolean;
  /** Number of further copies of that PDF on the run that were deleted. */
  removed: number;
}

/**
 * Attach the inventory PDF to a run (`ir.attachment` on the run record), so that it can be
 * downloaded from the run's form. A run keeps one such PDF. A new rendering is written over the
 * earlier one, which keeps its id, so links to it in the chatter open the current inventory.
 * Further copies are deleted. The description gives the rendering time.
 */
export async function attachInventoryPdf(
  client: OdooClient,
  runId: number,
  pdfFile: string,
): Promise<AttachedInventory> {
  const name = inventoryAttachmentName(runId);
  const values = {
    name,
    datas: (await readFile(pdfFile)).toString("base64"),
    mimetype: "application/pdf",
    description: `Written inventory of run ${runId}, rendered ${new Date().toISOString()}`,
  };
  const earlier = await client.executeKw<number[]>(
    "ir.attachment",
    "search",
    [
      [
        ["res_model", "=", RUN_MODEL],
        ["res_id", "=", runId],
        ["name", "=", name],
      ],
    ],
    { order: "id desc" },
  );
  const [keep, ...extra] = earlier;
  if (keep === undefined) {
    const attachmentId = await client.executeKw<number>("ir.attachment", "create", [
      { ...values, res_model: RUN_MODEL, res_id: runId },
    ]);
    return { attachmentId, replaced: false, removed: 0 };
  }

  await client.executeKw("ir.attachment", "write", [[keep], values]);
  if (extra.length > 0) {
    await client.executeKw("ir.attachment", "unlink", [extra]);
  }
  return { attachmentId: keep, replaced: true, removed: extra.length };
}

/** Format the output line `attached to run 4 as ir.attachment 27 (netmera-inventory-run-4.pdf)…`. */
export function describeAttachment(runId: number, attached: AttachedInventory): string {
  const line = `attached to run ${runId} as ir.attachment ${attached.attachmentId} (${inventoryAttachmentName(runId)})`;
  if (!attached.replaced) return line;

  const removed =
    attached.removed > 0 ? `, and ${attached.removed} older copy(ies) of it were deleted` : "";
  return `${line}, replacing the run's earlier inventory PDF${removed}`;
}
