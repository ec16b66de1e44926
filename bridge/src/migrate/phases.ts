/**
 * The import phases, in dependency order. A phase is data: adding one (the history phase, for
 * instance) is one more entry here, and the runner, sampling and reports pick it up.
 */

/**
 * Rule by which a `--sample` run picks a phase's rows. `all` takes every row and `seed` the
 * sampled contacts themselves. `dependent` takes rows that point at a sampled contact (notes on
 * it), and `referenced` takes rows that a picked row points at (company, tags, stage, owner).
 */
export type SampleMode = "all" | "seed" | "dependent" | "referenced";

export interface PhaseDefinition {
  /** Phase name as it appears in the plan manifest and in `import_batch`. */
  name: string;
  /** Plan file under `plan/` used when the manifest names none. */
  file: string;
  /** Odoo model the phase writes, named in messages. */
  model: string;
  sample: SampleMode;
  /**
   * Send one batch at a time. Creating fields reloads Odoo's model registry, and two batches
   * doing that at once in one server process break it (Odoo 18: KeyError on the new column).
   */
  serial?: boolean;
  /** Do not start this phase while panel owners wait in the addon's queue. */
  waitsForOwners?: boolean;
  /**
   * Count the phase's rows as the owner queue entries of the run: every valid owner row ends
   * up there, matched or waiting for an admin, and writes no business record.
   */
  writtenAs?: "owner-queue-entries";
}

export const PHASES: PhaseDefinition[] = [
  { name: "schema", file: "schema.ndjson", model: "ir.model.fields", sample: "all", serial: true },
  { name: "tags", file: "tags.ndjson", model: "res.partner.category", sample: "referenced" },
  { name: "stages", file: "stages.ndjson", model: "netmera.segment.stage", sample: "referenced" },
  {
    name: "owners",
    file: "owners.ndjson",
    model: "res.users",
    sample: "referenced",
    writtenAs: "owner-queue-entries",
  },
  { name: "companies", file: "companies.ndjson", model: "res.partner", sample: "referenced" },
  {
    name: "contacts",
    file: "contacts.ndjson",
    model: "res.partner",
    sample: "seed",
    waitsForOwners: true,
  },
  { name: "campaigns", file: "campaigns.ndjson", model: "utm.campaign", sample: "referenced" },
  // The chatter orders messages by id, so history batches must be created in plan (time) order.
  {
    name: "history",
    file: "history.ndjson",
    model: "mail.message",
    sample: "dependent",
    serial: true,
  },
];

export function findPhase(name: string, phases: PhaseDefinition[] = PHASES): PhaseDefinition {
  const phase = phases.find((candidate) => candidate.name === name);
  if (!phase) {
    throw new RangeError(
      `unknown phase "${name}" (known: ${phases.map((p) => p.name).join(", ")})`,
    );
  }

  return phase;
}
