import { describe, expect, it } from "vitest";
import {
  NumberFormatDetector,
  NumberFormatTable,
  parseInteger,
  parseNumber,
} from "../bridge/src/normalize/numbers.js";

function decide(values: string[]) {
  const detector = new NumberFormatDetector();
  for (const raw of values) {
    detector.observe(raw);
  }
  return detector.decide();
}

describe("NumberFormatDetector", () => {
  it("settles on the decimal point from 1.5", () => {
    expect(decide(["1.234", "1.5", "12"])).toEqual({ ok: true, value: "point" });
  });

  it("settles on the decimal comma from 1.234,5", () => {
    expect(decide(["1.234", "1.234,5", "7"])).toEqual({ ok: true, value: "comma" });
  });

  it("rejects a column where every separated value has three digits", () => {
    expect(decide(["1.234", "5.678", "9"])).toEqual({
      ok: false,
      reason:
        'has numbers such as "1.234" that read as a decimal or as thousands in the two formats, ' +
        "and no value settles which format the column uses",
    });
  });

  it("rejects a column that mixes both formats", () => {
    expect(decide(["1,234.5", "1.234,5"])).toEqual({
      ok: false,
      reason:
        'mixes number formats: 1 value(s) such as "1,234.5" use a decimal point and 1 such as ' +
        '"1.234,5" a decimal comma',
    });
    const close = [...Array.from({ length: 9 }, (_, i) => `${i}.25`), "12,50"];
    expect(decide(close).ok).toBe(false);
  });

  it("takes a clear majority and leaves the rest to parsing", () => {
    const values = [...Array.from({ length: 100 }, (_, i) => `${i}.25`), "12,50", "1.234"];
    expect(decide(values)).toEqual({ ok: true, value: "point" });
    expect(parseNumber("0.25", "point")).toEqual({ ok: true, value: 0.25 });
    expect(parseNumber("12,50", "point").ok).toBe(false);
    const commas = [...Array.from({ length: 10 }, (_, i) => `${i},5`), "2.5"];
    expect(decide(commas)).toEqual({ ok: true, value: "comma" });
  });

  it("accepts plain integers in either format", () => {
    expect(decide(["12", "-7", "120000"])).toEqual({ ok: true, value: "point" });
  });
});

describe("parseNumber", () => {
  it("reads each format", () => {
    expect(parseNumber("1,234.5", "point")).toEqual({ ok: true, value: 1234.5 });
    expect(parseNumber("1.234,5", "comma")).toEqual({ ok: true, value: 1234.5 });
    expect(parseNumber("23993.7", "point")).toEqual({ ok: true, value: 23993.7 });
    expect(parseNumber("-0,25", "comma")).toEqual({ ok: true, value: -0.25 });
  });

  it("rejects values in the other format or not numbers", () => {
    expect(parseNumber("1.234,5", "point").ok).toBe(false);
    expect(parseNumber("düşük", "point")).toEqual({
      ok: false,
      reason: "is not a number in the column's format (like 1,234.5)",
    });
  });

  it("rejects fractions and overflow for integers", () => {
    expect(parseInteger("12010", "point")).toEqual({ ok: true, value: 12010 });
    expect(parseInteger("1.5", "point")).toEqual({
      ok: false,
      reason: "is not a whole number (the field is an integer field)",
    });
    expect(parseInteger("3000000000", "point").ok).toBe(false);
    expect(parseInteger("99999999999999999999", "point")).toEqual({
      ok: false,
      reason: "is outside the range of an Odoo integer field (-2147483648 to 2147483647)",
    });
    expect(parseInteger("-2147483648", "point")).toEqual({ ok: true, value: -2147483648 });
    expect(parseInteger("-2147483649", "point").ok).toBe(false);
  });
});

describe("NumberFormatTable", () => {
  it("decides each file's column on its own values", () => {
    const table = new NumberFormatTable();
    table.observe("users/tr.csv", "attr:score", "1.234,5");
    table.observe("users/api.csv", "attr:score", "1234.5");
    table.observe("users/odd.csv", "attr:score", "1.200");
    expect(table.formatOf("users/tr.csv", "attr:score")).toEqual({ ok: true, value: "comma" });
    expect(table.formatOf("users/api.csv", "attr:score")).toEqual({ ok: true, value: "point" });
    expect(table.formatOf("users/odd.csv", "attr:score")).toEqual({
      ok: false,
      reason:
        'in users/odd.csv has numbers such as "1.200" that read as a decimal or as thousands ' +
        "in the two formats, and no value settles which format the column uses",
    });
    expect(table.formatOf("users/none.csv", "attr:score")).toEqual({ ok: true, value: "point" });
  });
});
