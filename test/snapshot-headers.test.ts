import { describe, expect, it } from "vitest";
import { matchHeaders } from "../bridge/src/snapshot/headers.js";
import type { ProfileAttribute } from "../bridge/src/snapshot/schemas.js";

const attributes: ProfileAttribute[] = [
  { code: "email", dataType: "STRING", name: "Email" },
  { code: "loyaltyPoints", dataType: "INTEGER", name: "Sadakat Puanı" },
  { code: "lastPurchaseDate", dataType: "DATE", name: "Son Alışveriş Tarihi" },
];

function meaningOf(header: string, kind: Parameters<typeof matchHeaders>[1] = "users"): string {
  return matchHeaders([header], kind, attributes, "users/x.csv").meanings[0] ?? "";
}

describe("matchHeaders", () => {
  it.each([
    "External ID",
    "extId",
    "externalId",
    "ext_id",
    "External Id",
    "EXTERNAL-ID",
    " external id ",
  ])("reads %j as the extId", (header) => {
    expect(meaningOf(header)).toBe("extId");
  });

  it.each(["Email", "E-mail", "e_mail", "EMAIL", "E-Posta", "E-Mail Adresi"])(
    "reads %j as the email",
    (header) => {
      expect(meaningOf(header)).toBe("email");
    },
  );

  it.each(["MSISDN", "GSM", "Phone", "Mobile", "Telefon"])("reads %j as the MSISDN", (header) => {
    expect(meaningOf(header)).toBe("msisdn");
  });

  it.each([
    ["Device Count", "deviceCount"],
    ["Device Type", "deviceType"],
    // Device Type holds the platform, so the OS column of a user export is the OS version.
    ["Operating System (OS)", "osVersion"],
    ["OS", "osVersion"],
    ["Device Model", "deviceModel"],
  ])("reads device column %j as %s", (header, meaning) => {
    expect(meaningOf(header)).toBe(meaning);
  });

  it("reads attribute codes and labels without case, spaces or diacritics", () => {
    expect(meaningOf("loyaltyPoints")).toBe("attr:loyaltyPoints");
    expect(meaningOf("LOYALTY POINTS")).toBe("attr:loyaltyPoints");
    expect(meaningOf("Sadakat Puanı")).toBe("attr:loyaltyPoints");
    expect(meaningOf("sadakat puani")).toBe("attr:loyaltyPoints");
    expect(meaningOf("Son Alisveris Tarihi")).toBe("attr:lastPurchaseDate");
  });

  it("reports unknown headers and keeps them as columns", () => {
    const matched = matchHeaders(
      ["extId", "Kaynak Kampanya", ""],
      "users",
      attributes,
      "users/x.csv",
    );
    expect(matched.meanings).toEqual(["extId", "column:Kaynak Kampanya", "column:#3"]);
    expect(matched.unknown).toEqual(["Kaynak Kampanya", ""]);
  });

  it("rejects two headers with the same meaning, naming both", () => {
    expect(() =>
      matchHeaders(["extId", "Phone", "GSM"], "users", attributes, "users/seg.csv"),
    ).toThrow(
      'users/seg.csv: headers "Phone" and "GSM" both mean msisdn; remove or rename one of them',
    );
  });

  it("uses the vocabulary of the file kind", () => {
    expect(meaningOf("token", "devices")).toBe("pushToken");
    expect(meaningOf("installationId", "devices")).toBe("installationId");
    expect(meaningOf("taxNumber", "companies")).toBe("vat");
    expect(meaningOf("domain", "companies")).toBe("domain");
  });
});
