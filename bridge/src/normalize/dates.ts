import { ZoneClock } from "../history/time-zone.js";
import { accept, reject, type Normalized } from "./result.js";

export const DEFAULT_SOURCE_TIME_ZONE = "Europe/Istanbul";

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Check an IANA time zone name; returns false for names the runtime does not know. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Wall-clock time of an instant in a time zone. */
export function wallClockAt(epochMs: number, timeZone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(epochMs))) {
    if (part.type !== "literal") {
      parts[part.type] = Number(part.value);
    }
  }
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 0,
    day: parts.day ?? 0,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
    millisecond: ((epochMs % 1000) + 1000) % 1000,
  };
}

const zoneClocks = new Map<string, ZoneClock>();

function zoneClock(timeZone: string): ZoneClock {
  let clock = zoneClocks.get(timeZone);
  if (!clock) {
    clock = new ZoneClock(timeZone);
    zoneClocks.set(timeZone, clock);
  }
  return clock;
}

/**
 * Convert a wall-clock time of a time zone to an instant, or to NaN for a time the zone skips or
 * repeats when its clocks change. ZoneClock caches the offsets per hour, so the usual case costs
 * map lookups instead of two `Intl` calls.
 */
function instantOf(clock: WallClock, timeZone: string): number {
  return zoneClock(timeZone).toUtc(clock);
}

/** Offsets (minutes east of UTC) of a zone under its current rules: winter and summer 2024. */
function currentOffsets(timeZone: string): number[] {
  const cached = offsetCache.get(timeZone);
  if (cached) {
    return cached;
  }
  const offsets = new Set<number>();
  for (const instant of [Date.UTC(2024, 0, 1), Date.UTC(2024, 6, 1)]) {
    const clock = wallClockAt(instant, timeZone);
    const asUtc = Date.UTC(
      clock.year,
      clock.month - 1,
      clock.day,
      clock.hour,
      clock.minute,
      clock.second,
    );
    offsets.add(Math.round((asUtc - instant) / 60_000));
  }
  offsetCache.set(timeZone, [...offsets]);
  return [...offsets];
}

/**
 * Calendar date of an instant that is midnight in the source time zone. Netmera's documented
 * sample dateOfBirth 624315600000 is 1989-10-13T21:00Z: midnight at today's +03:00 for
 * Istanbul, although the zone was +02:00 on that day. So an instant counts as midnight under
 * the zone's historical rules or under its current offsets.
 */
function midnightDate(epochMs: number, timeZone: string): string | undefined {
  // Two offsets put one instant at midnight only if they are equal or a whole day apart. The tz
  // database has no offset beyond ±16 hours, so no historical offset is a day away from a
  // current offset within ±9 hours. For such zones, trying the current offsets first with plain
  // arithmetic gives the same date as trying the historical rules first. Only the rest needs
  // Intl, which is slow, and is cached.
  const offsets = currentOffsets(timeZone);
  const nearUtc = offsets.every((offset) => Math.abs(offset) <= 9 * 60);
  if (nearUtc) {
    const date = midnightAtOffsets(epochMs, offsets);
    if (date !== undefined) {
      return date;
    }
  }
  let cache = midnightCaches.get(timeZone);
  if (!cache) {
    cache = new Map();
    midnightCaches.set(timeZone, cache);
  }
  if (cache.has(epochMs)) {
    return cache.get(epochMs);
  }
  const clock = wallClockAt(epochMs, timeZone);
  const date =
    clock.hour === 0 && clock.minute === 0 && clock.second === 0 && clock.millisecond === 0
      ? isoDate(clock.year, clock.month, clock.day)
      : nearUtc
        ? undefined
        : midnightAtOffsets(epochMs, offsets);
  if (cache.size >= MIDNIGHT_CACHE_SIZE) {
    cache.clear();
  }
  cache.set(epochMs, date);
  return date;
}

const MIDNIGHT_CACHE_SIZE = 100_000;
const midnightCaches = new Map<string, Map<number, string | undefined>>();
const offsetCache = new Map<string, number[]>();
const DAY_MS = 86_400_000;

/** Calendar date of an instant that is midnight at one of the offsets (minutes east of UTC). */
function midnightAtOffsets(epochMs: number, offsets: number[]): string | undefined {
  for (const offset of offsets) {
    const shifted = epochMs + offset * 60_000;
    if (shifted - Math.floor(shifted / DAY_MS) * DAY_MS === 0) {
      const date = new Date(shifted);
      return isoDate(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate());
    }
  }
  return undefined;
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

function isoDate(year: number, month: number, day: number): string {
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) {
    return false;
  }
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= lastDay;
}

/** Epoch milliseconds from 1900 to 2100 have 9 to 13 digits; shorter numbers are not dates. */
const EPOCH_MS = /^-?\d{9,13}$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;
const DOTTED_DATE = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/;
const DOTTED_DATE_TIME = /^(\d{1,2})\.(\d{1,2})\.(\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$/;

interface ParsedInstant {
  /** Wall-clock time as written, or in the source time zone when the text was an instant. */
  clock: WallClock;
  epochMs: number;
}

function offsetMinutes(zone: string): number {
  if (zone === "Z") {
    return 0;
  }
  const sign = zone.startsWith("-") ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  return sign * (hours * 60 + minutes);
}

function parseIsoDateTime(text: string, timeZone: string): Normalized<ParsedInstant> {
  const match = ISO_DATE_TIME.exec(text);
  if (!match) {
    return reject("is not a date");
  }
  const [, y, mo, d, h, mi, s, fraction, zone] = match;
  const clock: WallClock = {
    year: Number(y),
    month: Number(mo),
    day: Number(d),
    hour: Number(h),
    minute: Number(mi),
    second: Number(s ?? "0"),
    millisecond: Number((fraction ?? "0").padEnd(3, "0").slice(0, 3)),
  };
  if (!isCalendarDate(clock.year, clock.month, clock.day)) {
    return reject("is not a calendar date");
  }
  if (clock.hour > 23 || clock.minute > 59 || clock.second > 59) {
    return reject("is not a valid time of day");
  }
  if (zone === undefined) {
    return accept({ clock, epochMs: instantOf(clock, timeZone) });
  }
  const asUtc = Date.UTC(
    clock.year,
    clock.month - 1,
    clock.day,
    clock.hour,
    clock.minute,
    clock.second,
    clock.millisecond,
  );
  const epochMs = asUtc - offsetMinutes(zone) * 60_000;
  return accept({ clock: wallClockAt(epochMs, timeZone), epochMs });
}

/**
 * Normalise a date to `YYYY-MM-DD`. Netmera stores dates such as dateOfBirth as epoch
 * milliseconds at local midnight in the source time zone, and those are accepted. So are ISO
 * 8601 dates and date-times (an instant with an offset becomes its calendar date in the source
 * time zone) and `dd.MM.yyyy`. Epoch milliseconds at UTC midnight that are not local midnight
 * are read as that UTC date. Years before 1800 or after 2200 are placeholders and rejected,
 * like anything else that is not a date, with the reason.
 */
export function normalizeDate(
  raw: string,
  timeZone = DEFAULT_SOURCE_TIME_ZONE,
): Normalized<string> {
  const result = readDate(raw, timeZone);
  if (result.ok) {
    const year = Number(result.value.slice(0, 4));
    if (year < EARLIEST_YEAR || year > LATEST_YEAR) {
      return reject(
        `is a placeholder date (year ${year}), not a real one; dates from ${EARLIEST_YEAR} to ` +
          `${LATEST_YEAR} are kept`,
      );
    }
  }
  return result;
}

/**
 * Years outside this range are what systems write for "no date" (0001-01-01, 9999-12-31), not
 * dates of a customer's life.
 */
const EARLIEST_YEAR = 1800;
const LATEST_YEAR = 2200;

/** Format an instant as `YYYY-MM-DD HH:MM` in a time zone. */
function localText(epochMs: number, timeZone: string): string {
  const clock = wallClockAt(epochMs, timeZone);
  return `${isoDate(clock.year, clock.month, clock.day)} ${pad(clock.hour)}:${pad(clock.minute)}`;
}

/**
 * Range in which an epoch number read as seconds is a plausible date: the years 1900 to 2100.
 * Such seconds have 9 or 10 digits, so they also match the millisecond pattern.
 */
const SECONDS_FROM = Date.UTC(1900, 0, 1);
const SECONDS_TO = Date.UTC(2101, 0, 1);

function plausibleAsSeconds(value: number): boolean {
  const ms = value * 1000;
  return ms >= SECONDS_FROM && ms < SECONDS_TO;
}

/**
 * Tail of the reason for an epoch number of a date column that is no date as milliseconds but
 * would be one as seconds. It is not converted, because one value does not show whether it is in
 * seconds or milliseconds, and a silent factor of 1000 would hide a mistake in the export.
 */
function secondsDateHint(value: number, timeZone: string): string {
  if (!plausibleAsSeconds(value)) {
    return "";
  }
  const ms = value * 1000;
  const local = midnightDate(ms, timeZone);
  const utc = ms % DAY_MS === 0 ? new Date(ms).toISOString().slice(0, 10) : undefined;
  const reading =
    local !== undefined
      ? `${local} (midnight in ${timeZone})`
      : utc !== undefined
        ? `${utc} (midnight UTC)`
        : undefined;
  if (reading === undefined) {
    return `; read as epoch seconds it is ${localText(ms, timeZone)} there, not midnight either`;
  }
  return (
    `; read as epoch seconds it is ${reading}, so the column probably holds seconds: ` +
    "export dates as epoch milliseconds or as YYYY-MM-DD"
  );
}

function readDate(raw: string, timeZone: string): Normalized<string> {
  const text = raw.trim();
  if (EPOCH_MS.test(text)) {
    const date = midnightDate(Number(text), timeZone);
    if (date === undefined && Number(text) % DAY_MS === 0) {
      // UTC midnight is how systems other than Netmera store a date, and the ISO form of the
      // same instant (1990-05-01T00:00:00Z) is read as that date too.
      const clock = wallClockAt(Number(text), "UTC");
      return accept(isoDate(clock.year, clock.month, clock.day));
    }
    if (date === undefined) {
      const at = localText(Number(text), timeZone);
      return reject(
        `is epoch milliseconds for ${at} in ${timeZone}, not local midnight, so it is not a ` +
          `date${secondsDateHint(Number(text), timeZone)}`,
      );
    }
    return accept(date);
  }
  const isoDateMatch = ISO_DATE.exec(text);
  if (isoDateMatch) {
    const [year, month, day] = isoDateMatch.slice(1).map(Number) as [number, number, number];
    if (!isCalendarDate(year, month, day)) {
      return reject("is not a calendar date");
    }
    return accept(isoDate(year, month, day));
  }
  const dotted = DOTTED_DATE.exec(text);
  if (dotted) {
    const [day, month, year] = dotted.slice(1).map(Number) as [number, number, number];
    if (!isCalendarDate(year, month, day)) {
      return reject("is not a calendar date (expected dd.MM.yyyy)");
    }
    return accept(isoDate(year, month, day));
  }
  if (ISO_DATE_TIME.test(text)) {
    const parsed = parseIsoDateTime(text, timeZone);
    if (!parsed.ok) {
      return parsed;
    }
    const { clock, epochMs } = parsed.value;
    // A time that the zone skips or repeats (NaN) still names its calendar date.
    const midnight = Number.isNaN(epochMs) ? undefined : midnightDate(epochMs, timeZone);
    return accept(midnight ?? isoDate(clock.year, clock.month, clock.day));
  }
  return reject("is not a date (expected epoch milliseconds, ISO 8601 or dd.MM.yyyy)");
}

/**
 * Epoch seconds of 2000 to 2100 read as milliseconds are instants from 1970-01-11 to 1970-02-17.
 * A date-time column gets such a number from an export in seconds, so it is rejected rather than
 * planned in 1970. A local or UTC midnight in that range is kept, because a date of birth early
 * in 1970 is written so in milliseconds.
 */
const SECONDS_2000 = Date.UTC(2000, 0, 1) / 1000;

function probableSeconds(value: number, timeZone: string): boolean {
  return (
    value >= SECONDS_2000 &&
    plausibleAsSeconds(value) &&
    value % DAY_MS !== 0 &&
    midnightDate(value, timeZone) === undefined
  );
}

/**
 * Normalise a date-time to Odoo's UTC `YYYY-MM-DD HH:MM:SS`. Epoch milliseconds and ISO 8601
 * with an offset are instants; ISO 8601 without an offset and `dd.MM.yyyy HH:mm[:ss]` are read
 * as wall-clock time in the source time zone. A wall-clock time that the zone skips or repeats
 * when its clocks change names no single instant and is rejected with the change.
 */
export function normalizeDateTime(
  raw: string,
  timeZone = DEFAULT_SOURCE_TIME_ZONE,
): Normalized<string> {
  const text = raw.trim();
  let epochMs: number;
  if (EPOCH_MS.test(text)) {
    epochMs = Number(text);
    if (probableSeconds(epochMs, timeZone)) {
      return reject(
        `is epoch milliseconds for ${formatUtc(epochMs).slice(0, 16)} UTC, in the first weeks ` +
          "of 1970; read as epoch seconds it is " +
          `${formatUtc(epochMs * 1000).slice(0, 16)} UTC, so the column probably holds ` +
          "seconds: export date-times as epoch milliseconds or ISO 8601",
      );
    }
  } else if (ISO_DATE.test(text) || ISO_DATE_TIME.test(text)) {
    const withTime = ISO_DATE.test(text) ? `${text}T00:00` : text;
    const parsed = parseIsoDateTime(withTime, timeZone);
    if (!parsed.ok) {
      return parsed;
    }
    epochMs = parsed.value.epochMs;
    if (Number.isNaN(epochMs)) {
      return reject(zoneClock(timeZone).localTimeProblem(parsed.value.clock));
    }
  } else {
    const dotted = DOTTED_DATE_TIME.exec(text) ?? DOTTED_DATE.exec(text);
    if (!dotted) {
      return reject(
        "is not a date-time (expected epoch milliseconds, ISO 8601 or dd.MM.yyyy HH:mm)",
      );
    }
    const [day, month, year, hour, minute, second] = dotted
      .slice(1)
      .map((part) => Number(part ?? "0"));
    const clock: WallClock = {
      year: year ?? 0,
      month: month ?? 0,
      day: day ?? 0,
      hour: hour ?? 0,
      minute: minute ?? 0,
      second: second ?? 0,
      millisecond: 0,
    };
    if (!isCalendarDate(clock.year, clock.month, clock.day)) {
      return reject("is not a calendar date (expected dd.MM.yyyy)");
    }
    if (clock.hour > 23 || clock.minute > 59 || clock.second > 59) {
      return reject("is not a valid time of day");
    }
    epochMs = instantOf(clock, timeZone);
    if (Number.isNaN(epochMs)) {
      return reject(zoneClock(timeZone).localTimeProblem(clock));
    }
  }
  return accept(formatUtc(epochMs));
}

/** Format an instant as Odoo stores datetimes: UTC, `YYYY-MM-DD HH:MM:SS`. */
export function formatUtc(epochMs: number): string {
  const date = new Date(epochMs);
  const day = isoDate(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate());
  return `${day} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
}
