import { describe, expect, it } from "vitest";
import { countryXmlId } from "../bridge/src/export-csv/cells.js";
import { neutraliseCell } from "../bridge/src/export-csv/neutralise.js";

describe("neutraliseCell", () => {
  it.each([
    ['=HYPERLINK("https://evil.example","x")', `'=HYPERLINK("https://evil.example","x")`],
    ["+90 532 000 00 00", "'+90 532 000 00 00"],
    ["-2+3 kontrol", "'-2+3 kontrol"],
    ["@SUM(A1:A9)", "'@SUM(A1:A9)"],
    ["\t=1+1", "'\t=1+1"],
    ["\r=1+1", "'\r=1+1"],
  ])("prefixes formula text %j", (input, expected) => {
    expect(neutraliseCell(input)).toBe(expected);
  });

  it("leaves ordinary text alone", () => {
    expect(neutraliseCell("Ayşe Yılmaz")).toBe("Ayşe Yılmaz");
    expect(neutraliseCell("a=b")).toBe("a=b");
    expect(neutraliseCell("")).toBe("");
  });

  it("keeps E.164 numbers in phone fields importable", () => {
    expect(neutraliseCell("+905321234567", "phone")).toBe("+905321234567");
    expect(neutraliseCell("+4915112345678", "phone")).toBe("+4915112345678");
  });

  it("prefixes phone-field text that is not E.164", () => {
    expect(neutraliseCell("+90 532 123 45 67", "phone")).toBe("'+90 532 123 45 67");
    expect(neutraliseCell("+1+cmd|' /C calc'!A0", "phone")).toBe("'+1+cmd|' /C calc'!A0");
    expect(neutraliseCell("=HYPERLINK(1)", "phone")).toBe("'=HYPERLINK(1)");
  });

  it("keeps plain numbers in numeric fields", () => {
    expect(neutraliseCell("-12.5", "number")).toBe("-12.5");
    expect(neutraliseCell("-3", "number")).toBe("-3");
    expect(neutraliseCell("-1e-7", "number")).toBe("-1e-7");
    expect(neutraliseCell("-1+1", "number")).toBe("'-1+1");
  });

  it("prefixes an E.164-looking value in a text field", () => {
    expect(neutraliseCell("+905321234567", "text")).toBe("'+905321234567");
  });
});

describe("countryXmlId", () => {
  it("uses base.<code> with the United Kingdom exception", () => {
    expect(countryXmlId("TR")).toBe("base.tr");
    expect(countryXmlId("DE")).toBe("base.de");
    expect(countryXmlId("GB")).toBe("base.uk");
  });
});
