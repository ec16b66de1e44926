import { describe, expect, it } from "vitest";
import { addonVersionProblem, REQUIRED_ADDON_VERSION } from "../bridge/src/odoo/preflight.js";

describe("addon version comparison", () => {
  it("accepts the required version and later", () => {
    expect(REQUIRED_ADDON_VERSION).toBe("1.1.0");
    for (const version of ["18.0.1.1.0", "18.0.1.1.3", "18.0.1.2.0", "18.0.2.0.0", "1.1.0"]) {
      expect(addonVersionProblem(version, "1.1.0"), version).toBeUndefined();
    }
  });

  it("reads Odoo 17's series prefix", () => {
    // Odoo 17 puts its series before a manifest version of another series.
    expect(addonVersionProblem("17.0.18.0.1.1.0", "1.1.0")).toBeUndefined();
    expect(addonVersionProblem("17.0.18.0.1.0.0", "1.1.0")).toBe("is version 17.0.18.0.1.0.0");
  });

  it("names an older version", () => {
    expect(addonVersionProblem("18.0.1.0.0", "1.1.0")).toBe("is version 18.0.1.0.0");
    expect(addonVersionProblem("18.0.1.0.9", "1.1.0")).toBe("is version 18.0.1.0.9");
    expect(addonVersionProblem("18.0.0.9.9", "1.1.0")).toBe("is version 18.0.0.9.9");
  });

  it("names an addon without the method", () => {
    expect(addonVersionProblem(undefined, "1.1.0")).toBe(
      "is older than version 1.1.0 (it has no addon_version method)",
    );
  });

  it("rejects a reply that is no version", () => {
    expect(addonVersionProblem(true, "1.1.0")).toBe(
      "reports version true, which is not a version number",
    );
    expect(addonVersionProblem("", "1.1.0")).toBe(
      'reports version "", which is not a version number',
    );
    expect(addonVersionProblem("18.0.x.1.0", "1.1.0")).toBe(
      'reports version "18.0.x.1.0", which is not a version number',
    );
  });
});
