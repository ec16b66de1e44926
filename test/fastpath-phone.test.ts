import { describe, expect, it } from "vitest";
import { normalizePhone, normalizePhoneSlowly } from "../bridge/src/normalize/phone.js";

/** Park–Miller generator: the same seed gives the same numbers on every run. */
function generator(seed: number): (limit: number) => number {
  let state = seed;
  return (limit) => {
    state = (state * 48271) % 2147483647;
    return state % limit;
  };
}

function digits(random: (limit: number) => number, count: number): string {
  let text = "";
  for (let index = 0; index < count; index += 1) {
    text += String(random(10));
  }
  return text;
}

/** Groups digits with one separator style, as people type numbers into forms. */
function spell(random: (limit: number) => number, national: string): string {
  switch (random(6)) {
    case 0:
      return national;
    case 1:
      return `${national.slice(0, 3)} ${national.slice(3, 6)} ${national.slice(6, 8)} ${national.slice(8)}`;
    case 2:
      return `(${national.slice(0, 3)}) ${national.slice(3, 6)}-${national.slice(6)}`;
    case 3:
      return `${national.slice(0, 3)}-${national.slice(3, 6)}-${national.slice(6)}`;
    case 4:
      return `${national.slice(0, 3)}.${national.slice(3, 6)}.${national.slice(6)}`;
    default:
      return ` ${national.slice(0, 3)}/${national.slice(3)} `;
  }
}

const TURKISH_PREFIXES = [
  "532",
  "533",
  "505",
  "541",
  "555",
  "212",
  "216",
  "312",
  "232",
  "850",
  "444",
];
const INTERNATIONAL_PREFIXES = ["+49", "+44", "+1", "+33", "+994", "0049", "+7", "+380", "+90"];

function samples(count: number): string[] {
  const random = generator(20260412);
  const out: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const area = TURKISH_PREFIXES[random(TURKISH_PREFIXES.length)] ?? "532";
    // Mostly ten digits; sometimes one or two too few or too many.
    const length = [10, 10, 10, 10, 8, 9, 11, 12][random(8)] ?? 10;
    let national = area + digits(random, Math.max(0, length - area.length));
    if (random(25) === 0) {
      national = national.slice(0, 4) + "abc".charAt(random(3)) + national.slice(5);
    }
    const spelled = spell(random, national);
    switch (random(8)) {
      case 0:
        out.push(`0${spelled}`);
        break;
      case 1:
        out.push(`+90 ${spelled}`);
        break;
      case 2:
        out.push(`0090${spelled}`);
        break;
      case 3:
        out.push(`90${national}`);
        break;
      case 4: {
        const prefix = INTERNATIONAL_PREFIXES[random(INTERNATIONAL_PREFIXES.length)] ?? "+49";
        out.push(`${prefix} ${digits(random, 6 + random(7))}`);
        break;
      }
      case 5:
        out.push(digits(random, 1 + random(17)));
        break;
      default:
        out.push(spelled);
    }
  }
  return out;
}

describe("normalizePhone fast path", () => {
  it("gives the same result as the libphonenumber parser for generated numbers", () => {
    const numbers = samples(4000);
    let accepted = 0;
    for (const raw of numbers) {
      const compact = raw.trim().replace(/[\s().\-/]/g, "");
      const fast = normalizePhone(raw);
      expect({ raw, result: fast }).toEqual({ raw, result: normalizePhoneSlowly(compact) });
      if (fast.ok) {
        accepted += 1;
      }
    }
    // Both accepted and rejected numbers must be well represented for the check to mean much.
    expect(accepted).toBeGreaterThan(1000);
    expect(numbers.length - accepted).toBeGreaterThan(500);
  });

  it("normalises known spellings to exact values", () => {
    expect(normalizePhone("0532 123 45 67")).toEqual({
      ok: true,
      value: { e164: "+905321234567", mobile: true },
    });
    expect(normalizePhone("+90 (212) 555-1234")).toEqual({
      ok: true,
      value: { e164: "+902125551234", mobile: false },
    });
    expect(normalizePhone("00905051234567")).toEqual({
      ok: true,
      value: { e164: "+905051234567", mobile: true },
    });
    expect(normalizePhone("905321234567")).toEqual({
      ok: true,
      value: { e164: "+905321234567", mobile: true },
    });
    expect(normalizePhone("+49 30 1234567").ok).toBe(true);
    expect(normalizePhone("0532 12a 45 67").ok).toBe(false);
    expect(normalizePhone("0532 123 45").ok).toBe(false);
  });
});
