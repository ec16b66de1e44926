import { describe, expect, it } from "vitest";
import { normalizeDate } from "../bridge/src/normalize/dates.js";

/**
 * Date of an instant that is midnight in a zone, computed with Intl only: first under the
 * zone's rules on that day, then at the zone's offsets in January and July 2024, which is
 * what normalizeDate documents, and last as a UTC date. Undefined when none puts the instant
 * at midnight.
 */
const formats = new Map<string, Intl.DateTimeFormat>();

function referenceDate(epochMs: number, timeZone: string): string | undefined {
  const format =
    formats.get(timeZone) ??
    new Intl.DateTimeFormat("en-CA", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
  formats.set(timeZone, format);
  const clockAt = (instant: number) => {
    const parts = Object.fromEntries(
      format.formatToParts(new Date(instant)).map((part) => [part.type, part.value]),
    );
    return parts as Record<string, string>;
  };
  const here = clockAt(epochMs);
  if (here.hour === "00" && here.minute === "00" && here.second === "00" && epochMs % 1000 === 0) {
    return `${here.year}-${here.month}-${here.day}`;
  }
  for (const sample of [Date.UTC(2024, 0, 1), Date.UTC(2024, 6, 1)]) {
    const clock = clockAt(sample);
    const wall = Date.UTC(
      Number(clock.year),
      Number(clock.month) - 1,
      Number(clock.day),
      Number(clock.hour),
      Number(clock.minute),
      Number(clock.second),
    );
    const shifted = new Date(epochMs + (wall - sample));
    if (
      shifted.getUTCHours() === 0 &&
      shifted.getUTCMinutes() === 0 &&
      shifted.getUTCSeconds() === 0 &&
      shifted.getUTCMilliseconds() === 0
    ) {
      return shifted.toISOString().slice(0, 10);
    }
  }
  // Otherwise UTC midnight is read as that date, as systems other than Netmera store dates.
  return epochMs % 86_400_000 === 0 ? new Date(epochMs).toISOString().slice(0, 10) : undefined;
}

const DAY_MS = 86_400_000;
/** Offsets in minutes east of UTC at which each candidate instant is midnight. */
const OFFSETS = [-660, -600, -300, -240, 0, 60, 120, 180, 240, 330, 345, 390, 780, 840];

function instants(fromDay: string, toDay: string, step: number): number[] {
  const out: number[] = [];
  for (let day = Date.parse(fromDay); day <= Date.parse(toDay); day += step * DAY_MS) {
    for (const offset of OFFSETS) {
      const instant = day - offset * 60_000;
      // Shorter numbers are not read as epoch milliseconds at all.
      if (Math.abs(instant) >= 100_000_000) {
        out.push(instant);
      }
    }
  }
  return out;
}

const CASES: [string, number[]][] = [
  [
    "Europe/Istanbul",
    [...instants("2014-01-01", "2018-12-31", 1), ...instants("1900-01-01", "2100-01-01", 97)],
  ],
  [
    "America/New_York",
    [...instants("2023-03-01", "2023-11-30", 1), ...instants("1950-01-01", "2050-01-01", 53)],
  ],
  [
    "Asia/Kolkata",
    [...instants("1941-06-01", "1946-06-01", 3), ...instants("1900-01-01", "2100-01-01", 97)],
  ],
  [
    "Pacific/Apia",
    [...instants("2011-11-01", "2012-02-01", 1), ...instants("2010-01-01", "2022-01-01", 5)],
  ],
  ["UTC", instants("1900-01-01", "2100-01-01", 41)],
];

describe("normalizeDate fast path for epoch midnights", () => {
  for (const [zone, cases] of CASES) {
    it(`matches an Intl computation in ${zone}`, () => {
      let accepted = 0;
      const mismatches: { instant: number; fast: string | undefined; intl: string | undefined }[] =
        [];
      for (const instant of cases) {
        const expected = referenceDate(instant, zone);
        const result = normalizeDate(String(instant), zone);
        const fast = result.ok ? result.value : undefined;
        if (fast !== expected) {
          mismatches.push({ instant, fast, intl: expected });
        }
        if (expected !== undefined) {
          accepted += 1;
        }
      }
      expect(mismatches.slice(0, 10)).toEqual([]);
      // Each zone must give both dates and rejections, or the comparison proves little.
      expect(accepted).toBeGreaterThan(cases.length / OFFSETS.length / 2);
      expect(accepted).toBeLessThan(cases.length);
    });
  }

  it("gives exact dates for known instants", () => {
    const date = (instant: string, zone: string) =>
      normalizeDate(String(Date.parse(instant)), zone);
    // Istanbul kept +03:00 all year from late 2016; in January 2015 it was +02:00.
    expect(date("2014-12-31T22:00:00Z", "Europe/Istanbul")).toEqual({
      ok: true,
      value: "2015-01-01",
    });
    expect(date("2014-12-31T21:00:00Z", "Europe/Istanbul")).toEqual({
      ok: true,
      value: "2015-01-01",
    });
    expect(date("2017-01-01T21:00:00Z", "Europe/Istanbul")).toEqual({
      ok: true,
      value: "2017-01-02",
    });
    expect(date("2017-01-01T22:00:00Z", "Europe/Istanbul").ok).toBe(false);
    // New York moved from -05:00 to -04:00 on 2023-03-12.
    expect(date("2023-03-11T05:00:00Z", "America/New_York")).toEqual({
      ok: true,
      value: "2023-03-11",
    });
    expect(date("2023-03-13T04:00:00Z", "America/New_York")).toEqual({
      ok: true,
      value: "2023-03-13",
    });
    expect(date("2000-01-01T01:00:00Z", "America/New_York").ok).toBe(false);
    expect(date("2000-01-01T00:00:00Z", "America/New_York")).toEqual({
      ok: true,
      value: "2000-01-01",
    });
    expect(date("1999-12-31T18:30:00Z", "Asia/Kolkata")).toEqual({ ok: true, value: "2000-01-01" });
    // Samoa skipped 2011-12-30, going from -10:00 to +14:00 (it is +13:00 all year now).
    expect(date("2011-12-29T10:00:00Z", "Pacific/Apia")).toEqual({ ok: true, value: "2011-12-29" });
    expect(date("2011-12-30T10:00:00Z", "Pacific/Apia")).toEqual({ ok: true, value: "2011-12-31" });
    expect(date("2011-12-30T11:00:00Z", "Pacific/Apia")).toEqual({ ok: true, value: "2011-12-31" });
    expect(date("2024-02-29T00:00:00Z", "UTC")).toEqual({ ok: true, value: "2024-02-29" });
  });
});
