import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZoneClock } from "../bridge/src/history/time-zone.js";
import { parseTimestamp } from "../bridge/src/history/timestamp.js";
import { normalizeDate, normalizeDateTime } from "../bridge/src/normalize/dates.js";
import { writeFiles } from "./input-support.js";
import { runCli } from "./support/cli.js";

const ADVICE = "give such times with their UTC offset or in UTC";
// Turkey moved its clocks from 03:00 to 04:00 on 2016-03-27, and in 2015 from 04:00 back to
// 03:00 on 2015-11-08, a day later than Europe because of an election.
const SKIPPED =
  "is 2016-03-27 03:30, a local time that does not exist in Europe/Istanbul: clocks jumped " +
  `from 03:00 to 04:00 on 2016-03-27; ${ADVICE}`;
const REPEATED =
  "is 2015-11-08 03:30, a local time that occurs twice in Europe/Istanbul: clocks went back " +
  `from 04:00 to 03:00 on 2015-11-08, so it is 00:30 or 01:30 UTC; ${ADVICE}`;

describe("local times at a change of clocks", () => {
  it("rejects a skipped or repeated event time in both written forms", () => {
    const clock = new ZoneClock("Europe/Istanbul");
    for (const raw of ["2016-03-27 03:30", "2016-03-27T03:30:00", "27.03.2016 03:30"]) {
      expect(parseTimestamp(raw, clock)).toEqual({ ok: false, reason: SKIPPED });
    }
    expect(parseTimestamp("08.11.2015 03:30", clock)).toEqual({ ok: false, reason: REPEATED });
  });

  it("keeps times next to a change and times with an offset", () => {
    const clock = new ZoneClock("Europe/Istanbul");
    const utc = (raw: string) => {
      const parsed = parseTimestamp(raw, clock);
      return parsed.ok ? new Date(parsed.utcMs).toISOString() : parsed.reason;
    };
    expect(utc("2016-03-27 02:59:59")).toBe("2016-03-27T00:59:59.000Z");
    expect(utc("2016-03-27 04:00")).toBe("2016-03-27T01:00:00.000Z");
    expect(utc("2016-03-27T03:30:00+03:00")).toBe("2016-03-27T00:30:00.000Z");
    expect(utc("2015-11-08 02:59")).toBe("2015-11-07T23:59:00.000Z");
    expect(utc("2015-11-08 04:00")).toBe("2015-11-08T02:00:00.000Z");
    expect(utc("2015-11-08T03:30:00Z")).toBe("2015-11-08T03:30:00.000Z");
  });

  it("names a change of less than an hour", () => {
    // Lord Howe Island moves its clocks by half an hour.
    const clock = new ZoneClock("Australia/Lord_Howe");
    expect(parseTimestamp("2024-10-06 02:15", clock)).toEqual({
      ok: false,
      reason:
        "is 2024-10-06 02:15, a local time that does not exist in Australia/Lord_Howe: clocks " +
        `jumped from 02:00 to 02:30 on 2024-10-06; ${ADVICE}`,
    });
    expect(parseTimestamp("2024-10-06 02:30", clock)).toEqual({
      ok: true,
      utcMs: Date.UTC(2024, 9, 5, 15, 30),
    });
  });

  it("rejects date-times, keeps dates", () => {
    expect(normalizeDateTime("2016-03-27 03:30")).toEqual({ ok: false, reason: SKIPPED });
    expect(normalizeDateTime("27.03.2016 03:30")).toEqual({ ok: false, reason: SKIPPED });
    expect(normalizeDateTime("2015-11-08T03:30:00")).toEqual({ ok: false, reason: REPEATED });
    expect(normalizeDateTime("2016-03-27 04:00")).toEqual({
      ok: true,
      value: "2016-03-27 01:00:00",
    });
    expect(normalizeDate("2016-03-27 03:30")).toEqual({ ok: true, value: "2016-03-27" });
    expect(normalizeDate("2015-11-08T03:30:00")).toEqual({ ok: true, value: "2015-11-08" });
  });
});

describe("plan with a local time at a change of clocks", () => {
  const dir = mkdtempSync(join(tmpdir(), "local-time-changes-"));
  const snapshot = join(dir, "snapshot");
  const out = join(dir, "out");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeAll(async () => {
    writeFiles(snapshot, {
      "profile-attributes.json": JSON.stringify({
        standardProfileAttributes: [{ code: "name", dataType: "STRING" }],
        customProfileAttributes: [{ code: "lastPurchaseDate", dataType: "DATE" }],
      }),
      "users/a.csv":
        "externalId,name,lastPurchaseDate\n" +
        "u1,Ali,2016-03-27 03:30\n" +
        "u2,Veli,27.03.2016 03:30\n" +
        "u3,Ayşe,2016-03-27 04:30\n" +
        "u4,Can,08.11.2015 03:30\n" +
        "u5,Ece,01.02.2024 10:00\n",
    });
    const mapping = join(out, "mapping.json");
    expect((await runCli(["map", snapshot, "--out", out])).code).toBe(0);
    const confirm = ["map", snapshot, "--confirm", "--by", "test", "--mapping", mapping];
    expect((await runCli(confirm)).code).toBe(0);
    const plan = await runCli(["plan", snapshot, "--out", out, "--no-progress"]);
    expect(plan.code).toBe(0);
  }, 60_000);

  it("drops the value with the zone and the change, and plans the contact", () => {
    const quarantine = parse(readFileSync(join(out, "quarantine.csv")), {
      columns: true,
    }) as Record<string, string>[];
    const drop = (reason: string) => `value dropped: ${reason}; the contact is planned without it`;
    expect(quarantine.map((row) => [row.line, row.column, row.value, row.reason])).toEqual([
      ["2", "lastPurchaseDate", "2016-03-27 03:30", drop(SKIPPED)],
      ["3", "lastPurchaseDate", "27.03.2016 03:30", drop(SKIPPED)],
      ["5", "lastPurchaseDate", "08.11.2015 03:30", drop(REPEATED)],
    ]);
    const contacts = readFileSync(join(out, "plan", "contacts.ndjson"), "utf8");
    expect(contacts).toContain('"2016-03-27 01:30:00"');
    expect(contacts).not.toContain('"2016-03-27 00:30:00"');
  });
});
