/** Plan phases in import order; `migrate` imports them in this order. */
export const PHASE_ORDER = [
  "schema",
  "tags",
  "stages",
  "owners",
  "companies",
  "contacts",
  "campaigns",
  "history",
] as const;

export type PhaseName = (typeof PHASE_ORDER)[number];

/** One line of `plan/<phase>.ndjson` (see docs/architecture.md). */
export interface PlanRow {
  xml_id?: string;
  values: Record<string, unknown>;
  hash: string;
  source?: { file: string; line: number };
}

/** One line of quarantine.csv: a row or a value the plan could not use, and why. */
export interface QuarantineEntry {
  file: string;
  line: number;
  column: string;
  value: string;
  reason: string;
}

/** One line of flags.csv. */
export interface FlagEntry {
  xml_id: string;
  extid: string;
  flag: string;
  detail: string;
}

/** Reconciliation of one phase: read = planned + quarantined + skipped. */
export interface PhaseCounts {
  name: string;
  read: number;
  planned: number;
  quarantined: number;
  skipped: number;
  /** Why rows were skipped, with counts; the sum equals `skipped`. */
  skippedReasons: Record<string, number>;
  /**
   * Single values left out of rows that were planned (quarantine.csv reasons starting with
   * `value dropped:`). They are not rows, so they are outside read = planned + quarantined +
   * skipped. Set by the plan runner after the phase.
   */
  valuesDropped?: number;
}

export function emptyCounts(name: string): PhaseCounts {
  return { name, read: 0, planned: 0, quarantined: 0, skipped: 0, skippedReasons: {} };
}

export function countSkip(counts: PhaseCounts, reason: string, rows = 1): void {
  if (rows === 0) {
    return;
  }
  counts.skipped += rows;
  counts.skippedReasons[reason] = (counts.skippedReasons[reason] ?? 0) + rows;
}
