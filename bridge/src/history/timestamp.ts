import { wallAsUtc, type WallTime, type ZoneClock } from "./time-zone.js";

export type ParsedTimestamp = { ok: true; utcMs: number } | { ok: false; reason: string };

const ISO_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const DOTTED_PATTERN =
  /^(\d{1,2})[./](\d{1,2})[./](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?$/;

/** Earliest and latest instants accepted: years 1970 to 2100 cover every real event. */
const MIN_MS = Date.UTC(1970, 0, 1);
const MAX_MS = Date.UTC(2101, 0, 1);

/**
 * Parse an event or delivery timestamp into a UTC instant. Epoch numbers (milliseconds with 12
 * or more digits, seconds with 9 to 11) and ISO 8601 texts with `Z` or an offset are instants.
 * ISO texts without an offset and `dd.MM.yyyy HH:mm[:ss]` texts are wall-clock times of the
 * snapshot's source time zone and are converted with its rules. A wall time that the zone skips
 * or repeats when its clocks change names no single instant, so it is rejected.
 */
export function parseTimestamp(raw: string, clock: ZoneClock): ParsedTimestamp {
  const text = raw.trim();
  if (text === "" || text.toLowerCase() === "null") {
    return { ok: false, reason: "is empty; every event needs a timestamp" };
  }

  if (/^\d{9,16}$/.test(text)) {
    const utcMs = text.length >= 12 ? Number(text) : Number(text) * 1000;
    return inRange(utcMs);
  }

  const iso = ISO_PATTERN.exec(text);
  if (iso) {
    const wall = wallFrom(iso[1], iso[2], iso[3], iso[4], iso[5], iso[6], iso[7]);
    if (!wall) {
      return invalid();
    }

    const zone = iso[8];
    if (zone === undefined) {
      return local(wall, clock);
    }

    return inRange(wallAsUtc(wall) - offsetMs(zone));
  }

  const dotted = DOTTED_PATTERN.exec(text);
  if (dotted) {
    const wall = wallFrom(
      dotted[3],
      dotted[2],
      dotted[1],
      dotted[4],
      dotted[5],
      dotted[6],
      dotted[7],
    );
    return wall ? local(wall, clock) : invalid();
  }

  return {
    ok: false,
    reason:
      "is not a timestamp; expected epoch milliseconds, ISO 8601 (2024-03-02T00:30:00+03:00) " +
      "or dd.MM.yyyy HH:mm:ss",
  };
}

function wallFrom(
  year: string | undefined,
  month: string | undefined,
  day: string | undefined,
  hour: string | undefined,
  minute: string | undefined,
  second: string | undefined,
  fraction: string | undefined,
): WallTime | undefined {
  const wall: WallTime = {
    year: Number(year),
    month: Number(month),
    day: Number(day),
    hour: Number(hour ?? 0),
    minute: Number(minute ?? 0),
    second: Number(second ?? 0),
    millisecond: Number((fraction ?? "0").padEnd(3, "0").slice(0, 3)),
  };
  const check = new Date(wallAsUtc(wall));
  const valid =
    check.getUTCFullYear() === wall.year &&
    check.getUTCMonth() + 1 === wall.month &&
    check.getUTCDate() === wall.day &&
    wall.hour < 24 &&
    wall.minute < 60 &&
    wall.second < 60;
  return valid ? wall : undefined;
}

function offsetMs(zone: string): number {
  if (zone.toUpperCase() === "Z") {
    return 0;
  }

  const digits = zone.slice(1).replace(":", "");
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || "0");
  return (zone.startsWith("-") ? -1 : 1) * minutes * 60_000;
}

function inRange(utcMs: number): ParsedTimestamp {
  if (!Number.isFinite(utcMs) || utcMs < MIN_MS || utcMs >= MAX_MS) {
    return { ok: false, reason: "is outside the years 1970 to 2100" };
  }

  return { ok: true, utcMs };
}

/** Convert a wall time of the source time zone, rejecting one that does not exist or occurs twice. */
function local(wall: WallTime, clock: ZoneClock): ParsedTimestamp {
  const utcMs = clock.toUtc(wall);
  return Number.isNaN(utcMs) ? { ok: false, reason: clock.localTimeProblem(wall) } : inRange(utcMs);
}

function invalid(): ParsedTimestamp {
  return { ok: false, reason: "is not a valid calendar date and time" };
}
