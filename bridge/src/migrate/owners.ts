import { BridgeError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import type { OdooClient } from "../odoo/client.js";
import { RUN_MODEL } from "../odoo/preflight.js";

/** Panel owners that have no active Odoo user yet, and the stop that waits for them. */

export interface PendingOwner {
  email: string;
  name: string;
}

/**
 * Contacts wait while owners sit in the addon's queue; `migrate` stops with the list and the
 * three ways to clear each entry.
 */
export class OwnersPendingError extends BridgeError {
  override readonly code = "owners_pending";
  override readonly status = 409;

  constructor(
    readonly runId: number,
    readonly phase: string,
    readonly owners: PendingOwner[],
  ) {
    const listed = owners.map((owner) => `  ${owner.email}  ${owner.name}`.trimEnd()).join("\n");
    super(
      `${owners.length} panel owner(s) of run ${runId} have no active Odoo user, so the ` +
        `${phase} phase waits:\n${listed}\n` +
        "For each owner, do one of these in Odoo, then run migrate again; it matches the " +
        `queue again on start and continues run ${runId} here:\n` +
        "  - create an active internal user whose email or login is the owner's email " +
        "(Settings › Users & Companies › Users › New);\n" +
        "  - or map the owner to an existing user: Netmera Migration › Owner Queue, set " +
        '"Odoo User" on the owner\'s line;\n' +
        '  - or drop the ownership: click "Ignore" on the owner\'s line in the Owner Queue, ' +
        "and the owner's contacts are imported without a salesperson.",
    );
  }
}

/** Normalise the `unmatched_owners` entries `import_batch` returns (objects or bare emails). */
export function toPendingOwners(entries: unknown[] | undefined): PendingOwner[] {
  return (entries ?? []).map((entry) => {
    if (typeof entry === "string") return { email: entry, name: "" };

    const object = (entry ?? {}) as Record<string, unknown>;
    return { email: String(object.email ?? ""), name: String(object.name ?? "") };
  });
}

/**
 * Match the run's queued owners again against active internal users by email or login
 * (case-insensitively, in the addon), so that users created since the owners phase ran
 * unblock the contacts. Returns the owners still waiting.
 */
export async function rematchOwners(
  client: OdooClient,
  runId: number,
  logger: Logger,
): Promise<PendingOwner[]> {
  const answer = await client.executeKw<{ matched: number; pending: PendingOwner[] }>(
    RUN_MODEL,
    "rematch_owners",
    [[runId]],
  );
  if (answer.matched > 0) {
    logger.info({ runId, matched: answer.matched }, "queued owners matched to Odoo users");
  }

  return toPendingOwners(answer.pending);
}
