/** A source row that could not be planned, with where it is and why (`quarantine.csv`). */
export interface QuarantineEntry {
  file: string;
  line: number | "";
  column: string;
  value: string;
  reason: string;
}

/** A planned record that needs a person's attention (`flags.csv`). */
export interface FlagEntry {
  xml_id: string;
  extid: string;
  flag: string;
  detail: string;
}

/** Destination of a producer's plan rows, quarantine rows and flags. */
export interface PhaseOutput<Row> {
  row(row: Row): void | Promise<void>;
  quarantine(entry: QuarantineEntry): void | Promise<void>;
  flag(entry: FlagEntry): void | Promise<void>;
}

/**
 * Row counts of one phase. `read = planned + quarantined + skipped` holds for every phase;
 * `skipReasons` splits `skipped` by reason (events merged into a consolidated note count as
 * skipped with the reason "consolidated").
 */
export interface PhaseTally {
  read: number;
  planned: number;
  quarantined: number;
  skipped: number;
  skipReasons: Record<string, number>;
}

export function emptyTally(): PhaseTally {
  return { read: 0, planned: 0, quarantined: 0, skipped: 0, skipReasons: {} };
}

export function addSkipped(tally: PhaseTally, reason: string, count = 1): void {
  tally.skipped += count;
  tally.skipReasons[reason] = (tally.skipReasons[reason] ?? 0) + count;
}
