import { BridgeError } from "../core/errors.js";
import type { OdooClient } from "../odoo/client.js";
import { readPlanLines, type PlannedPhase } from "./plan-files.js";

/** Panel owners that have no active Odoo user yet, and the stop that waits for them. */

export interface PendingOwner {
  email: string;
  name: string;
}

/** Contacts wait while owners sit in the addon's queue; `migrate` stops with the list. */
export class OwnersPendingError extends BridgeError {
  override readonly code = "owners_pending";
  override readonly status = 409;

  constructor(
    readonly runId: number,
    readonly phase: string,
    readonly pendingCount: number,
    readonly owners: PendingOwner[],
  ) {
    const listed = owners.map((owner) => `  ${owner.email}  ${owner.name}`.trimEnd()).join("\n");
    super(
      `${pendingCount} panel owner(s) of run ${runId} have no active Odoo user, so the ` +
        `${phase} phase waits:\n${listed || "  (see the queue in Odoo)"}\n` +
        "Create or activate a user with each email, or assign each owner in Odoo under " +
        "Netmera Migration › Owner Queue; then run migrate again and it continues here.",
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
 * List the plan's owners that no active Odoo user matches by email or login (both compared
 * case-insensitively, as the addon matches them). Used when the batches that reported them
 * committed in an earlier process.
 */
export async function unmatchedPlanOwners(
  client: OdooClient,
  ownersPhase: PlannedPhase,
): Promise<PendingOwner[]> {
  const owners = new Map<string, PendingOwner>();
  for await (const { row } of readPlanLines(ownersPhase.path, ownersPhase.file)) {
    const email = String(row.values.email ?? "").trim();
    if (email) owners.set(email.toLowerCase(), { email, name: String(row.values.name ?? "") });
  }

  if (owners.size === 0) return [];

  const users = await client.executeKw<{ email: string | false; login: string | false }[]>(
    "res.users",
    "search_read",
    [[["active", "=", true]]],
    { fields: ["email", "login"] },
  );
  for (const user of users) {
    for (const value of [user.email, user.login]) {
      if (typeof value === "string") owners.delete(value.trim().toLowerCase());
    }
  }

  return [...owners.values()];
}
