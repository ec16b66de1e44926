import type { PhaseCounts } from "./types.js";

/** Phases whose counts do not add up; an empty list means every phase reconciles. */
export function unbalancedPhases(phases: PhaseCounts[]): PhaseCounts[] {
  return phases.filter((phase) => phase.read !== phase.planned + phase.quarantined + phase.skipped);
}

/**
 * The reconciliation as a text table: one line per phase, read = planned + quarantined +
 * skipped, and apart from that equation the values dropped from planned rows.
 */
export function formatReconciliation(phases: PhaseCounts[]): string {
  const header = ["phase", "read", "planned", "quarantined", "skipped", "values dropped"];
  const rows = phases.map((phase) => [
    phase.name,
    String(phase.read),
    String(phase.planned),
    String(phase.quarantined),
    String(phase.skipped),
    String(phase.valuesDropped ?? 0),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join("  ");
  const separator = widths.map((width) => "-".repeat(width)).join("  ");
  const skippedNotes = phases.flatMap((phase) =>
    Object.entries(phase.skippedReasons).map(
      ([reason, count]) => `  ${phase.name}: ${count} skipped, ${reason}`,
    ),
  );
  const dropped = phases.reduce((sum, phase) => sum + (phase.valuesDropped ?? 0), 0);
  const droppedNote =
    dropped > 0
      ? [
          "",
          "read = planned + quarantined + skipped counts rows. Values dropped are single cells " +
            "left out of planned rows; quarantine.csv lists them with reasons starting " +
            '"value dropped:".',
        ]
      : [];
  return [
    line(header),
    separator,
    ...rows.map(line),
    ...(skippedNotes.length ? ["", ...skippedNotes] : []),
    ...droppedNote,
  ].join("\n");
}
