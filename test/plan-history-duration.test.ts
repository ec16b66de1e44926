import { describe, expect, it } from "vitest";
import { historyDurationNote } from "../bridge/src/plan/reconciliation.js";
import { emptyCounts, type PhaseCounts } from "../bridge/src/plan/types.js";

function phasesWithNotes(notes: number): PhaseCounts[] {
  const history = { ...emptyCounts("history"), read: notes, planned: notes };
  return [{ ...emptyCounts("contacts"), read: 10, planned: 10 }, history];
}

describe("history duration note", () => {
  it("stays quiet below 100,000 notes", () => {
    expect(historyDurationNote(phasesWithNotes(99_999))).toBeUndefined();
    expect(historyDurationNote([emptyCounts("contacts")])).toBeUndefined();
  });

  it("gives hours for a million notes", () => {
    // 1,000,000 / 56 per second = 17,857 s, about 5 hours.
    expect(historyDurationNote(phasesWithNotes(1_000_000))).toBe(
      "history: 1,000,000 notes planned. migrate writes them one batch at a time, and at the 56 " +
        "notes per second measured on a busy 2-core machine that takes about 5 hours. To plan fewer " +
        'notes, set target.action to "skip" for event codes nobody needs in Odoo, or lower ' +
        "settings.eventConsolidationThreshold in mapping.json; then confirm the mapping and run " +
        "plan again.",
    );
  });

  it("gives days for 100 million notes", () => {
    // 100,000,000 / 56 per second = 1,785,714 s, 20.7 days.
    expect(historyDurationNote(phasesWithNotes(100_000_000))).toContain(
      "that takes about 21 days.",
    );
  });

  it("rounds a short history up to one hour", () => {
    expect(historyDurationNote(phasesWithNotes(100_000))).toContain("that takes about 1 hour.");
  });
});
