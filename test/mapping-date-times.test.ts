import { describe, expect, it } from "vitest";
import { inferTarget } from "../bridge/src/mapping/infer-type.js";
import { ValueStats } from "../bridge/src/mapping/value-stats.js";

function stats(values: string[]): ValueStats {
  const result = new ValueStats("Europe/Istanbul");
  for (const value of values) result.add(value);
  return result;
}

function infer(dataType: string | undefined, values: string[]) {
  return inferTarget({
    fieldName: "x_netmera_seen",
    dataType,
    isArray: false,
    stats: stats(values),
    ownerEmails: new Set(),
    companyIds: new Set(),
  });
}

const WITH_TIMES = ["2024-03-05T14:30:00", "2024-03-06 09:15", "2024-03-07T22:05:10Z"];

describe("dates with times of day", () => {
  it("counts ISO date-times with a time as date-times", () => {
    const counted = stats(WITH_TIMES);
    expect(counted.dates).toBe(0);
    expect(counted.dateTimes).toBe(3);
  });

  it("counts midnight and date-only values as dates", () => {
    const counted = stats(["2024-03-05T00:00:00Z", "2024-03-06 00:00", "1990-05-01"]);
    expect(counted.dates).toBe(3);
    expect(counted.dateTimes).toBe(0);
  });

  it("proposes a datetime field for an unknown column", () => {
    const proposal = infer(undefined, WITH_TIMES);
    expect(proposal.target.type).toBe("datetime");
    expect(proposal.reason).toContain("values look like dates with times of day");
    expect(proposal.review).toBe(true);
  });

  it("proposes a datetime field for a DATE attribute with times", () => {
    const proposal = infer("DATE", WITH_TIMES);
    expect(proposal.target.type).toBe("datetime");
    expect(proposal.reason).toContain("3 values carry a time of day, so a datetime field");
  });

  it("keeps a date field for dates", () => {
    expect(infer(undefined, ["2024-03-05", "2024-03-06", "2024-03-07"]).target.type).toBe("date");
  });
});
