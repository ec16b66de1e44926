import { describe, expect, it } from "vitest";
import { fullXmlId, xmlIdFor } from "../bridge/src/core/xml-id.js";

describe("xmlIdFor", () => {
  it("keeps extIds that differ only by case apart", () => {
    expect(xmlIdFor("user", "Ayse.K")).not.toBe(xmlIdFor("user", "ayse.k"));
  });

  it("keeps kinds apart for the same key", () => {
    expect(xmlIdFor("tag", "vip")).not.toBe(xmlIdFor("segment", "vip"));
  });

  it("builds a readable ASCII name from Turkish letters", () => {
    expect(xmlIdFor("user", "Şükrü/Öztürk.1")).toMatch(
      /^netmera_user_sukru_ozturk_1_[0-9a-f]{12}$/,
    );
  });

  it("is stable across calls", () => {
    expect(xmlIdFor("company", "Acme A.Ş.")).toBe(xmlIdFor("company", "Acme A.Ş."));
  });

  it("prefixes the importer module", () => {
    expect(fullXmlId("netmera_tag_vip_0123456789ab")).toBe(
      "__import__.netmera_tag_vip_0123456789ab",
    );
  });
});
