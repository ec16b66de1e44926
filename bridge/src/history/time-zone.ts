import { BridgeError } from "../core/errors.js";

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Wall-clock fields of a local time; month is 1–12. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

/**
 * UTC offsets of one IANA time zone, read from the ICU rules that ship with Node (`Intl`), so
 * daylight-saving changes follow the tz database. Offsets are cached per UTC hour. No zone in
 * the tz database changes its offset twice within one hour, so an hour whose start and end
 * share an offset has that offset throughout. The cache grows with the time span of the data (about 9,000
 * entries per year), not with the number of timestamps.
 */
export class ZoneClock {
  readonly zone: string;
  private readonly format: Intl.DateTimeFormat;
  private readonly hourOffsets = new Map<number, number>();

  constructor(zone: string) {
    try {
      this.format = new Intl.DateTimeFormat("en-US", {
        timeZone: zone,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric",
      });
    } catch (error) {
      throw new BridgeError(
        `unknown time zone "${zone}": use an IANA name such as Europe/Istanbul`,
        {
          cause: error,
        },
      );
    }
    this.zone = this.format.resolvedOptions().timeZone;
  }

  /** Offset of local time from UTC at the instant `utcMs`, in milliseconds (east positive). */
  offsetAt(utcMs: number): number {
    const hour = Math.floor(utcMs / HOUR_MS);
    const cached = this.hourOffsets.get(hour);
    if (cached !== undefined) {
      return cached;
    }

    const start = this.computeOffset(hour * HOUR_MS);
    const end = this.computeOffset(hour * HOUR_MS + HOUR_MS - 1);
    if (start === end) {
      this.hourOffsets.set(hour, start);
      return start;
    }

    // A transition falls inside this hour, so compute the exact offset and cache nothing.
    return this.computeOffset(utcMs);
  }

  /**
   * Convert a local wall-clock time to a UTC instant. A time that does not exist (clocks jumped
   * over it) or that occurs twice (clocks went back over it) gives NaN, because its instant
   * depends on the UTC offset, and `localTimeProblem` explains which. Both occur only on the day
   * of a change, so the usual case costs two cached offset lookups.
   */
  toUtc(wall: WallTime): number {
    const wallMs = wallAsUtc(wall);
    const offsetBefore = this.offsetAt(wallMs - DAY_MS);
    const offsetAfter = this.offsetAt(wallMs + DAY_MS);
    if (offsetBefore === offsetAfter) {
      return wallMs - offsetBefore;
    }
    const earlier = wallMs - offsetBefore;
    const later = wallMs - offsetAfter;
    const earlierFits = earlier + this.offsetAt(earlier) === wallMs;
    const laterFits = later + this.offsetAt(later) === wallMs;
    if (earlierFits !== laterFits) {
      return earlierFits ? earlier : later;
    }
    return Number.NaN;
  }

  /**
   * Describe why `toUtc` gave NaN for a wall time: the change of clocks it falls into, with the
   * local times before and after it, and for a repeated time its two UTC readings.
   */
  localTimeProblem(wall: WallTime): string {
    const wallMs = wallAsUtc(wall);
    const offsetBefore = this.offsetAt(wallMs - DAY_MS);
    const offsetAfter = this.offsetAt(wallMs + DAY_MS);

    // The instant of the change: the offset is offsetBefore at `low` and differs at `high`.
    let low = wallMs - DAY_MS;
    let high = wallMs + DAY_MS;
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (this.offsetAt(middle) === offsetBefore) {
        low = middle;
      } else {
        high = middle;
      }
    }

    const from = hourMinute(high + offsetBefore);
    const to = hourMinute(high + offsetAfter);
    const day = isoDate(new Date(high + offsetAfter));
    const local = `${isoDate(new Date(wallMs))} ${hourMinute(wallMs)}`;
    const advice = "give such times with their UTC offset or in UTC";
    if (offsetAfter > offsetBefore) {
      return (
        `is ${local}, a local time that does not exist in ${this.zone}: clocks jumped from ` +
        `${from} to ${to} on ${day}; ${advice}`
      );
    }
    const first = hourMinute(wallMs - offsetBefore);
    const second = hourMinute(wallMs - offsetAfter);
    return (
      `is ${local}, a local time that occurs twice in ${this.zone}: clocks went back from ` +
      `${from} to ${to} on ${day}, so it is ${first} or ${second} UTC; ${advice}`
    );
  }

  /** Local calendar day of an instant, as `YYYY-MM-DD`. */
  localDay(utcMs: number): string {
    return isoDate(new Date(utcMs + this.offsetAt(utcMs)));
  }

  /** Local time of day of an instant, as `HH:MM`. */
  localTime(utcMs: number): string {
    const local = new Date(utcMs + this.offsetAt(utcMs));
    return `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}`;
  }

  private computeOffset(utcMs: number): number {
    const parts = this.format.formatToParts(new Date(utcMs));
    const field = (type: Intl.DateTimeFormatPartTypes): number =>
      Number(parts.find((part) => part.type === type)?.value ?? NaN);
    const asUtc = Date.UTC(
      field("year"),
      field("month") - 1,
      field("day"),
      field("hour"),
      field("minute"),
      field("second"),
    );
    const wholeSecond = utcMs - (((utcMs % 1000) + 1000) % 1000);
    return asUtc - wholeSecond;
  }
}

/** Odoo's datetime text for a UTC instant: `YYYY-MM-DD HH:MM:SS` (seconds, no zone). */
export function odooDatetime(utcMs: number): string {
  const date = new Date(utcMs);
  const time = `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
  return `${isoDate(date)} ${time}`;
}

function isoDate(date: Date): string {
  const year = String(date.getUTCFullYear()).padStart(4, "0");
  return `${year}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
}

/** Read a wall-clock time as if it were UTC: its epoch milliseconds without any offset. */
export function wallAsUtc(wall: WallTime): number {
  return Date.UTC(
    wall.year,
    wall.month - 1,
    wall.day,
    wall.hour,
    wall.minute,
    wall.second,
    wall.millisecond,
  );
}

/** `HH:MM` of an instant read as UTC. */
function hourMinute(ms: number): string {
  const date = new Date(ms);
  return `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}`;
}

function pad(value: number): string {
  return String(value).padStart(2, "0");
}
