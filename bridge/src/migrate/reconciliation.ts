import type { PlannedPhase, PlanReconciliation } from "./plan-files.js";

/**
 * One reconciliation row per phase: `read = written + quarantined + skipped`, where written is
 * created + updated + unchanged in Odoo and quarantined counts the plan's quarantine rows plus
 * the rows Odoo returned as errors.
 */

export interface OdooPhaseCounts {
  created: number;
  updated: number;
  unchanged: number;
  errors: number;
}

export interface PhaseReconciliation {
  name: string;
  model: string;
  read: number;
  written: number;
  created: number;
  updated: number;
  unchanged: number;
  quarantined: number;
  /** Rows Odoo rejected, a part of `quarantined`. */
  odooErrors: number;
  skipped: number;
  balanced: boolean;
}

export function reconcilePhase(input: {
  phase: PlannedPhase;
  planned: PlanReconciliation | undefined;
  /** Rows of a sample run; a sample reads only these and quarantines or skips none. */
  sampleRows: number | undefined;
  odoo: OdooPhaseCounts;
}): PhaseReconciliation {
  const { phase, planned, sampleRows, odoo } = input;
  const read = sampleRows ?? planned?.read ?? phase.rows;
  const planQuarantined = sampleRows === undefined ? (planned?.quarantined ?? 0) : 0;
  const skipped = sampleRows === undefined ? (planned?.skipped ?? 0) : 0;
  const written = odoo.created + odoo.updated + odoo.unchanged;
  const quarantined = planQuarantined + odoo.errors;
  return {
    name: phase.definition.name,
    model: phase.definition.model,
    read,
    written,
    created: odoo.created,
    updated: odoo.updated,
    unchanged: odoo.unchanged,
    quarantined,
    odooErrors: odoo.errors,
    skipped,
    balanced: read === written + quarantined + skipped,
  };
}

const COLUMNS: [keyof PhaseReconciliation, string][] = [
  ["name", "phase"],
  ["read", "read"],
  ["written", "written"],
  ["created", "created"],
  ["updated", "updated"],
  ["unchanged", "unchanged"],
  ["quarantined", "quarantined"],
  ["skipped", "skipped"],
];

/** Render the rows as a fixed-width text table with a check column. */
export function formatReconciliation(rows: PhaseReconciliation[]): string {
  const header = [...COLUMNS.map(([, title]) => title), "check"];
  const body = rows.map((row) => [
    ...COLUMNS.map(([key]) => String(row[key])),
    row.balanced ? "ok" : `MISMATCH (${row.read - row.written - row.quarantined - row.skipped})`,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...body.map((cells) => cells[column]!.length)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!),
      )
      .join("  ")
      .trimEnd();
  return [line(header), ...body.map(line)].join("\n");
}

/** Build the reconciliation in the shape that `action_done` stores on the run. */
export function reconciliationPayload(rows: PhaseReconciliation[]): Record<string, unknown> {
  return {
    phases: rows.map((row) => ({
      name: row.name,
      read: row.read,
      // Rows the plan file holds for the phase: read less the plan's own quarantine and skips.
      planned: row.read - (row.quarantined - row.odooErrors) - row.skipped,
      written: row.written,
      created: row.created,
      updated: row.updated,
      unchanged: row.unchanged,
      quarantined: row.quarantined,
      errors: row.odooErrors,
      skipped: row.skipped,
      balanced: row.balanced,
    })),
  };
}
