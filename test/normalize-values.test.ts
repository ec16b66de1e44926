import { describe, expect, it } from "vitest";
import { normalizeArray } from "../bridge/src/normalize/arrays.js";
import { normalizeCountry } from "../bridge/src/normalize/country.js";
import { normalizeEmail } from "../bridge/src/normalize/email.js";
import {
  normalizeBoolean,
  normalizeGender,
  normalizeMaritalStatus,
} from "../bridge/src/normalize/enums.js";
import { normalizeLanguage } from "../bridge/src/normalize/language.js";
import { normalizePhone } from "../bridge/src/normalize/phone.js";
import { foldKey, isNoValue } from "../bridge/src/normalize/text.js";

const value = <T>(result: { ok: true; value: T } | { ok: false; reason: string }) =>
  result.ok ? result.value : `rejected: ${result.reason}`;

describe("gender and marital status", () => {
  it.each([
    ["0", "male"],
    ["1", "female"],
    ["2", "not_specified"],
    ["Male", "male"],
    ["FEMALE", "female"],
    ["Erkek", "male"],
    ["Kadın", "female"],
    ["kadin", "female"],
    ["Belirtilmemiş", "not_specified"],
  ])("gender %s → %s", (raw, expected) => {
    expect(value(normalizeGender(raw))).toBe(expected);
  });

  it.each([
    ["0", "single"],
    ["1", "married"],
    ["2", "not_specified"],
    ["Bekar", "single"],
    ["Evli", "married"],
    ["married", "married"],
  ])("marital status %s → %s", (raw, expected) => {
    expect(value(normalizeMaritalStatus(raw))).toBe(expected);
  });

  it("rejects unknown codes", () => {
    expect(normalizeGender("3")).toEqual({
      ok: false,
      reason: "is not a gender (expected 0, 1, 2 or male/female)",
    });
    expect(normalizeMaritalStatus("divorced").ok).toBe(false);
  });
});

describe("normalizeBoolean", () => {
  it.each([
    ["true", true],
    ["1", true],
    ["Evet", true],
    ["false", false],
    ["0", false],
    ["Hayır", false],
  ])("%s → %s", (raw, expected) => {
    expect(value(normalizeBoolean(raw))).toBe(expected);
  });

  it("rejects other words", () => {
    expect(normalizeBoolean("maybe").ok).toBe(false);
  });
});

describe("normalizePhone", () => {
  it("keeps an extension", () => {
    expect(value(normalizePhone("+90 212 123 45 67 ext. 12"))).toEqual({
      e164: "+902121234567 ext. 12",
      mobile: false,
    });
  });

  it("reads 90… without a plus as Turkish international", () => {
    expect(value(normalizePhone("905312345678"))).toEqual({ e164: "+905312345678", mobile: true });
  });

  it("reads national Turkish forms", () => {
    expect(value(normalizePhone("0532 123 45 67"))).toEqual({
      e164: "+905321234567",
      mobile: true,
    });
    expect(value(normalizePhone("5054664563"))).toEqual({ e164: "+905054664563", mobile: true });
    expect(value(normalizePhone("+90 (533) 412-10-47"))).toEqual({
      e164: "+905334121047",
      mobile: true,
    });
  });

  it("tells landlines from mobiles", () => {
    expect(value(normalizePhone("0212 555 02 00"))).toEqual({
      e164: "+902125550200",
      mobile: false,
    });
  });

  it("reads 00 as the international prefix", () => {
    expect(value(normalizePhone("0049 1512 3456789"))).toEqual({
      e164: "+4915123456789",
      mobile: true,
    });
  });

  it("rejects numbers of impossible length and text", () => {
    expect(normalizePhone("+471705847614")).toEqual({
      ok: false,
      reason: "is not a phone number (wrong length for its country code)",
    });
    expect(normalizePhone("call me").ok).toBe(false);
    expect(normalizePhone("12").ok).toBe(false);
  });
});

describe("normalizeEmail", () => {
  it("keeps the local part and lowercases the domain", () => {
    expect(value(normalizeEmail(" Elif.Kaya12@Hotmail.COM "))).toBe("Elif.Kaya12@hotmail.com");
  });

  it("accepts internationalised addresses", () => {
    expect(value(normalizeEmail("gökhan@örnek.com.tr"))).toBe("gökhan@örnek.com.tr");
  });

  it.each([
    ["gökhan.demir@@example", "is not an email address (invalid part before @)"],
    ["no-at-sign", "is not an email address"],
    ["a@b", "is not an email address (invalid domain)"],
    ["a..b@example.com", "is not an email address (invalid part before @)"],
    ["a@example.123", "is not an email address (the domain ends in a number)"],
  ])("rejects %s", (raw, reason) => {
    expect(normalizeEmail(raw)).toEqual({ ok: false, reason });
  });
});

describe("normalizeCountry", () => {
  it.each([
    ["Türkiye", "TR"],
    ["Turkey", "TR"],
    ["turkiye", "TR"],
    ["TR", "TR"],
    ["TUR", "TR"],
    ["Almanya", "DE"],
    ["Germany", "DE"],
    ["USA", "US"],
    ["Birleşik Krallık", "GB"],
    ["Deutschland", "DE"],
    ["Norge", "NO"],
    ["Österreich", "AT"],
    ["Ελλάδα", "GR"],
    ["EL", "GR"],
    ["UK", "GB"],
  ])("%s → %s", (raw, expected) => {
    expect(value(normalizeCountry(raw))).toBe(expected);
  });

  it("rejects a name of two countries", () => {
    expect(value(normalizeCountry("Congo"))).toBe(
      "rejected: names more than one country (CD, CG); write the ISO 3166 code",
    );
  });

  it("rejects unknown names", () => {
    expect(normalizeCountry("Atlantis")).toEqual({
      ok: false,
      reason: "is not a country name or ISO 3166 code",
    });
  });
});

describe("normalizeLanguage", () => {
  it.each([
    ["Turkish", "tr_TR"],
    ["Türkçe", "tr_TR"],
    ["turkce", "tr_TR"],
    ["tr", "tr_TR"],
    ["tr_TR", "tr_TR"],
    ["tr-TR", "tr_TR"],
    ["English", "en_US"],
    ["İngilizce", "en_US"],
    ["en", "en_US"],
    ["en-GB", "en_GB"],
    ["de", "de_DE"],
    ["de_AT", "de_DE"],
    ["Deutsch", "de_DE"],
    ["pt_BR", "pt_BR"],
    ["Arapça", "ar_001"],
  ])("%s → %s", (raw, expected) => {
    expect(value(normalizeLanguage(raw))).toBe(expected);
  });

  it("rejects names Odoo has no language for", () => {
    expect(normalizeLanguage("Klingon").ok).toBe(false);
    expect(normalizeLanguage("xx").ok).toBe(false);
  });
});

describe("normalizeArray", () => {
  it("reads JSON arrays", () => {
    expect(value(normalizeArray('["elektronik", "giyim", null, 3]'))).toEqual([
      "elektronik",
      "giyim",
      "3",
    ]);
  });

  it("reads delimited lists", () => {
    expect(value(normalizeArray("a; b ;c"))).toEqual(["a", "b", "c"]);
    expect(value(normalizeArray("Konak #6,Beşiktaş #8"))).toEqual(["Konak #6", "Beşiktaş #8"]);
    expect(value(normalizeArray("single"))).toEqual(["single"]);
  });

  it("rejects broken JSON", () => {
    expect(normalizeArray('["a",').ok).toBe(false);
  });
});

describe("text helpers", () => {
  it("folds case, punctuation and Turkish letters", () => {
    expect(foldKey("E-Posta")).toBe("eposta");
    expect(foldKey("Şirket Adı")).toBe("sirketadi");
    expect(foldKey("İŞLETİM")).toBe("isletim");
  });

  it("treats empty and null cells as no value", () => {
    expect(isNoValue("")).toBe(true);
    expect(isNoValue("  ")).toBe(true);
    expect(isNoValue("null")).toBe(true);
    expect(isNoValue("NULL")).toBe(true);
    expect(isNoValue("0")).toBe(false);
  });
});
