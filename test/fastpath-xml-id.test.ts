import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { xmlIdFor } from "../bridge/src/core/xml-id.js";
import { canonicalJson } from "../bridge/src/plan/row-hash.js";

/** Park–Miller generator: the same seed gives the same values on every run. */
function generator(seed: number): (limit: number) => number {
  let state = seed;
  return (limit) => {
    state = (state * 48271) % 2147483647;
    return state % limit;
  };
}

describe("canonical JSON", () => {
  it("sorts nested keys, drops undefined", () => {
    const value = { b: 1, a: { d: [3, undefined], c: "x" }, u: undefined, "10": 0, "9": 0 };
    expect(canonicalJson(value)).toBe('{"9":0,"10":0,"a":{"c":"x","d":[3,null]},"b":1}');
    expect(canonicalJson({ z: 1, y: { x: true } })).toBe('{"y":{"x":true},"z":1}');
    const sorted = { a: 1, b: [2] };
    expect(canonicalJson(sorted)).toBe('{"a":1,"b":[2]}');
  });
});

describe("external ID fast path for ASCII keys", () => {
  it("matches the Unicode slug rules", () => {
    // The same slug rules written out in full, for keys of every kind of character.
    const slowSlug = (key: string) =>
      key
        .normalize("NFKD")
        .replace(/[\u0300-\u036f]/g, "")
        .replace(/ı/g, "i")
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "_")
        .replace(/^_+|_+$/g, "")
        .slice(0, 40);
    const random = generator(7);
    const alphabet = "aZ09._/-@ +:~\u0000\u007fİıŞşÉé😀";
    for (let i = 0; i < 3000; i += 1) {
      let key = "";
      for (let length = 1 + random(50); length > 0; length -= 1) {
        key += [...alphabet][random([...alphabet].length)];
      }
      const name = xmlIdFor("user", key);
      const slug = slowSlug(key);
      expect(name.startsWith(slug ? `netmera_user_${slug}_` : "netmera_user_"), key).toBe(true);
      expect(name).toMatch(/_[0-9a-f]{12}$/);
    }
    const digest = createHash("sha256").update("user\u0000Ayse.K-42").digest("hex").slice(0, 12);
    expect(xmlIdFor("user", "Ayse.K-42")).toBe(`netmera_user_ayse_k_42_${digest}`);
  });
});
