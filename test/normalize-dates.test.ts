import { describe, expect, it } from "vitest";
import { normalizeDate, normalizeDateTime } from "../bridge/src/normalize/dates.js";

describe("normalizeDate", () => {
  it("reads epoch ms at Istanbul midnight as that calendar date", () => {
    // 2020-04-30T21:00Z is 2020-05-01 00:00 in Istanbul (UTC+3).
    expect(normalizeDate("1588280400000")).toEqual({ ok: true, value: "2020-05-01" });
  });

  it("reads midnight at the current offset for old dates", () => {
    // The documented REST sample: 1989-10-13T21:00Z is midnight at +03:00, though Istanbul
    // was at +02:00 that day.
    expect(normalizeDate("624315600000")).toEqual({ ok: true, value: "1989-10-14" });
  });

  it("reads negative epoch ms before 1970", () => {
    // 1956-08-27 00:00 in Istanbul, which was UTC+2 then.
    expect(normalizeDate("-421207200000")).toEqual({ ok: true, value: "1956-08-27" });
  });

  it("rejects epoch ms that are not local midnight", () => {
    // 1989-10-14T01:00Z, 03:00 in Istanbul (UTC+2 then).
    const result = normalizeDate("624330000000");
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toBe(
      "is epoch milliseconds for 1989-10-14 03:00 in Europe/Istanbul, not local midnight, so it is not a date",
    );
  });

  it("reads epoch ms at UTC midnight as that date", () => {
    // 1989-10-14T00:00Z, as its ISO form 1989-10-14T00:00:00Z is read.
    expect(normalizeDate("624326400000")).toEqual({ ok: true, value: "1989-10-14" });
    expect(normalizeDate("1989-10-14T00:00:00Z")).toEqual({ ok: true, value: "1989-10-14" });
  });

  it.each(["0001-01-01", "9999-12-31", "01.01.0001"])("rejects the placeholder %s", (raw) => {
    const result = normalizeDate(raw);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(
      /^is a placeholder date \(year (1|9999)\), not a real one; dates from 1800 to 2200 are kept$/,
    );
  });

  it("uses the given source time zone", () => {
    expect(normalizeDate("624326400000", "UTC")).toEqual({ ok: true, value: "1989-10-14" });
  });

  it("reads ISO 8601 dates", () => {
    expect(normalizeDate("2024-02-29")).toEqual({ ok: true, value: "2024-02-29" });
  });

  it("reads ISO 8601 instants in the source time zone", () => {
    expect(normalizeDate("1989-10-13T21:00:00Z")).toEqual({ ok: true, value: "1989-10-14" });
    expect(normalizeDate("1989-10-13T21:00:00.000+03:00")).toEqual({
      ok: true,
      value: "1989-10-13",
    });
  });

  it("reads dd.MM.yyyy", () => {
    expect(normalizeDate("03.05.2024")).toEqual({ ok: true, value: "2024-05-03" });
    expect(normalizeDate("3.5.2024")).toEqual({ ok: true, value: "2024-05-03" });
  });

  it("rejects impossible calendar dates", () => {
    expect(normalizeDate("1990-13-45")).toEqual({ ok: false, reason: "is not a calendar date" });
    expect(normalizeDate("29.02.2023")).toEqual({
      ok: false,
      reason: "is not a calendar date (expected dd.MM.yyyy)",
    });
  });

  it("rejects other formats with the accepted ones in the reason", () => {
    for (const raw of ["05/03/2024", "yesterday", "2024-5-3", "12345"]) {
      expect(normalizeDate(raw)).toEqual({
        ok: false,
        reason: "is not a date (expected epoch milliseconds, ISO 8601 or dd.MM.yyyy)",
      });
    }
  });
});

describe("normalizeDateTime", () => {
  it("writes epoch ms as Odoo UTC text", () => {
    expect(normalizeDateTime("1714770000000")).toEqual({ ok: true, value: "2024-05-03 21:00:00" });
  });

  it("reads wall-clock text in the source time zone", () => {
    expect(normalizeDateTime("2024-05-04T00:00:00")).toEqual({
      ok: true,
      value: "2024-05-03 21:00:00",
    });
    expect(normalizeDateTime("04.05.2024 10:30")).toEqual({
      ok: true,
      value: "2024-05-04 07:30:00",
    });
  });

  it("keeps an explicit offset", () => {
    expect(normalizeDateTime("2024-05-04T10:00:00+02:00")).toEqual({
      ok: true,
      value: "2024-05-04 08:00:00",
    });
  });

  it("rejects text that is no date-time", () => {
    expect(normalizeDateTime("soon").ok).toBe(false);
  });
});

describe("epoch seconds in date and date-time columns", () => {
  it("says that a date column's number is a date as epoch seconds, without converting it", () => {
    // 1704067200 seconds is 2024-01-01T00:00Z; as milliseconds it is 1970-01-20 19:21 local.
    expect(normalizeDate("1704067200")).toEqual({
      ok: false,
      reason:
        "is epoch milliseconds for 1970-01-20 19:21 in Europe/Istanbul, not local midnight, so " +
        "it is not a date; read as epoch seconds it is 2024-01-01 (midnight UTC), so the column " +
        "probably holds seconds: export dates as epoch milliseconds or as YYYY-MM-DD",
    });
    // 2023-12-31T21:00Z is midnight in Istanbul.
    expect(normalizeDate("1704056400")).toMatchObject({
      ok: false,
      reason: expect.stringContaining(
        "; read as epoch seconds it is 2024-01-01 (midnight in Europe/Istanbul), so the column",
      ),
    });
    expect(normalizeDate("1704078000")).toMatchObject({
      ok: false,
      reason: expect.stringMatching(
        / so it is not a date; read as epoch seconds it is 2024-01-01 06:00 there, not midnight either$/,
      ),
    });
  });

  it("skips implausible seconds readings", () => {
    // 99,999,999,999 seconds would be in the year 5138.
    expect(normalizeDate("99999999999")).toEqual({
      ok: false,
      reason:
        "is epoch milliseconds for 1973-03-03 11:46 in Europe/Istanbul, not local midnight, so " +
        "it is not a date",
    });
  });

  it("rejects probable epoch seconds in a date-time column instead of planning 1970", () => {
    expect(normalizeDateTime("1704067200")).toEqual({
      ok: false,
      reason:
        "is epoch milliseconds for 1970-01-20 17:21 UTC, in the first weeks of 1970; read as " +
        "epoch seconds it is 2024-01-01 00:00 UTC, so the column probably holds seconds: export " +
        "date-times as epoch milliseconds or ISO 8601",
    });
    // Milliseconds of 2024 and a 1970 midnight (a date of birth) stay date-times.
    expect(normalizeDateTime("1704067200000")).toEqual({ ok: true, value: "2024-01-01 00:00:00" });
    expect(normalizeDateTime("3790800000")).toEqual({ ok: true, value: "1970-02-13 21:00:00" });
  });
});
