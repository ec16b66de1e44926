import { describe, expect, it } from "vitest";
import { odooDatetime, ZoneClock } from "../bridge/src/history/time-zone.js";
import { parseTimestamp } from "../bridge/src/history/timestamp.js";

function stored(raw: string, zone = "Europe/Istanbul"): string {
  const clock = new ZoneClock(zone);
  const parsed = parseTimestamp(raw, clock);
  if (!parsed.ok) {
    throw new Error(`${raw} was rejected: ${parsed.reason}`);
  }
  return odooDatetime(parsed.utcMs);
}

function localDay(raw: string, zone = "Europe/Istanbul"): string {
  const clock = new ZoneClock(zone);
  const parsed = parseTimestamp(raw, clock);
  if (!parsed.ok) {
    throw new Error(`${raw} was rejected: ${parsed.reason}`);
  }
  return clock.localDay(parsed.utcMs);
}

describe("history time zone conversion", () => {
  it("stores Istanbul wall time as UTC", () => {
    expect(stored("2024-03-02 00:30")).toBe("2024-03-01 21:30:00");
    expect(stored("2024-03-02T00:30:00")).toBe("2024-03-01 21:30:00");
    expect(stored("02.03.2024 00:30")).toBe("2024-03-01 21:30:00");
    expect(stored("02.03.2024 00:30:15")).toBe("2024-03-01 21:30:15");
  });

  it("keys the day in source-local time", () => {
    expect(localDay("2024-03-02 00:30")).toBe("2024-03-02");
    expect(localDay("2024-03-01T21:30:00Z")).toBe("2024-03-02");
    expect(localDay("2024-03-01T20:59:59Z")).toBe("2024-03-01");
  });

  it("reads instants with an offset or as epoch numbers", () => {
    expect(stored("2024-03-11T14:27:32+03:00")).toBe("2024-03-11 11:27:32");
    expect(stored("2024-03-11T14:27:32+0530")).toBe("2024-03-11 08:57:32");
    expect(stored("2024-03-11T14:27:32.999Z")).toBe("2024-03-11 14:27:32");
    expect(stored("1717394613628")).toBe("2024-06-03 06:03:33");
    expect(stored("1717394613")).toBe("2024-06-03 06:03:33");
  });

  it("follows Turkey's rules before 2016, when it still had summer time", () => {
    expect(stored("2015-01-15 12:00")).toBe("2015-01-15 10:00:00");
    expect(stored("2015-07-15 12:00")).toBe("2015-07-15 09:00:00");
  });

  it("rejects wall times in a spring-forward gap, naming the jump", () => {
    const clock = new ZoneClock("Europe/Berlin");
    expect(parseTimestamp("2024-03-31 02:30", clock)).toEqual({
      ok: false,
      reason:
        "is 2024-03-31 02:30, a local time that does not exist in Europe/Berlin: clocks jumped " +
        "from 02:00 to 03:00 on 2024-03-31; give such times with their UTC offset or in UTC",
    });
    // The minutes on either side of the gap exist.
    expect(stored("2024-03-31 01:59:59", "Europe/Berlin")).toBe("2024-03-31 00:59:59");
    expect(stored("2024-03-31 03:00", "Europe/Berlin")).toBe("2024-03-31 01:00:00");
  });

  it("rejects wall times of a repeated fall-back hour, naming both readings", () => {
    const clock = new ZoneClock("Europe/Berlin");
    expect(parseTimestamp("2024-10-27 02:30", clock)).toEqual({
      ok: false,
      reason:
        "is 2024-10-27 02:30, a local time that occurs twice in Europe/Berlin: clocks went back " +
        "from 03:00 to 02:00 on 2024-10-27, so it is 00:30 or 01:30 UTC; give such times with " +
        "their UTC offset or in UTC",
    });
    expect(stored("2024-10-27 03:30", "Europe/Berlin")).toBe("2024-10-27 02:30:00");
    expect(stored("2024-10-27 01:30", "Europe/Berlin")).toBe("2024-10-26 23:30:00");
    expect(stored("2024-10-27T02:30:00+01:00", "Europe/Berlin")).toBe("2024-10-27 01:30:00");
  });

  it("gives offsets on both sides of a transition", () => {
    const clock = new ZoneClock("Europe/Berlin");
    const change = Date.UTC(2024, 2, 31, 1, 0, 0);

    expect(clock.offsetAt(change - 1)).toBe(3_600_000);
    expect(clock.offsetAt(change)).toBe(7_200_000);
    expect(clock.localTime(change - 60_000)).toBe("01:59");
    expect(clock.localTime(change)).toBe("03:00");
  });

  it("rejects impossible dates with the reason", () => {
    const clock = new ZoneClock("Europe/Istanbul");

    expect(parseTimestamp("2024-02-30 10:00", clock)).toEqual({
      ok: false,
      reason: "is not a valid calendar date and time",
    });
    expect(parseTimestamp("31.02.2024", clock)).toEqual({
      ok: false,
      reason: "is not a valid calendar date and time",
    });
    expect(parseTimestamp("2024-03-02 24:10", clock)).toEqual({
      ok: false,
      reason: "is not a valid calendar date and time",
    });
    expect(parseTimestamp("null", clock)).toEqual({
      ok: false,
      reason: "is empty; every event needs a timestamp",
    });
    expect(parseTimestamp("yesterday", clock)).toEqual({
      ok: false,
      reason:
        "is not a timestamp; expected epoch milliseconds, ISO 8601 (2024-03-02T00:30:00+03:00) " +
        "or dd.MM.yyyy HH:mm:ss",
    });
    expect(parseTimestamp("1800-01-01T00:00:00Z", clock)).toEqual({
      ok: false,
      reason: "is outside the years 1970 to 2100",
    });
  });

  it("rejects an unknown zone name", () => {
    expect(() => new ZoneClock("Europe/Nowhere")).toThrow(
      'unknown time zone "Europe/Nowhere": use an IANA name such as Europe/Istanbul',
    );
  });
});
