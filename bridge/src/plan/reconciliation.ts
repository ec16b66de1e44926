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

/** Number of planned history notes from which plan states how long migrate takes to write them. */
export const LONG_HISTORY_NOTES = 100_000;

/**
 * History notes per second that migrate wrote into Odoo 18 on a busy 2-core machine (load
 * average 15 to 18, docs/benchmarks.md, "Importing history rows into Odoo"). Notes go one batch at a time,
 * because the chatter orders messages by id, so more Odoo workers do not speed them up.
 */
export const MEASURED_NOTES_PER_SECOND = 56;

/**
 * Return a note on how long migrate will take to write a large history, with what shortens
 * it, or undefined below LONG_HISTORY_NOTES notes.
 */
export function historyDurationNote(phases: PhaseCounts[]): string | undefined {
  const notes = phases.find((phase) => phase.name === "history")?.planned ?? 0;
  if (notes < LONG_HISTORY_NOTES) {
    return undefined;
  }
  const hours = Math.max(1, Math.round(notes / MEASURED_NOTES_PER_SECOND / 3600));
  const duration =
    hours === 1
      ? "about 1 hour"
      : hours < 48
        ? `about ${hours} hours`
        : `about ${Math.round(hours / 24)} days`;
  return (
    `history: ${notes.toLocaleString("en-US")} notes planned. migrate writes them one batch ` +
    `at a time, and at the ${MEASURED_NOTES_PER_SECOND} notes per second measured on a busy 2-core ` +
    `machine that takes ${duration}. To plan fewer notes, set target.action to "skip" for ` +
    "event codes nobody needs in Odoo, or lower settings.eventConsolidationThreshold in " +
    "mapping.json; then confirm the mapping and run plan again."
  );
}
