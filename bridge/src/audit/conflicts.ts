import { normalizeArray } from "../normalize/arrays.js";
import { normalizeCountry } from "../normalize/country.js";
import { normalizeDate } from "../normalize/dates.js";
import { normalizeBoolean, normalizeGender } from "../normalize/enums.js";
import { normalizePhone } from "../normalize/phone.js";
import type { MergeConflict } from "../snapshot/users.js";

type Canonical = (value: string) => string | undefined;

const numeric: Canonical = (value) => {
  const text = value.trim();
  return /^[+-]?\d+([.,]\d+)?$/.test(text) ? String(Number(text.replace(",", "."))) : undefined;
};

/** Ways to bring two spellings of one value to the same text, tried in order. */
function canonicalForms(meaning: string, timeZone: string): Canonical[] {
  const ok = <T>(result: { ok: true; value: T } | { ok: false }): T | undefined =>
    result.ok ? result.value : undefined;
  if (meaning === "email") {
    return [(v) => v.trim().toLowerCase()];
  }
  if (meaning === "msisdn") {
    return [(v) => ok(normalizePhone(v))?.e164];
  }
  if (meaning === "attr:gender") {
    return [(v) => ok(normalizeGender(v))];
  }

  return [
    (v) => ok(normalizeDate(v, timeZone)),
    (v) => {
      const result = normalizeBoolean(v);
      return result.ok && !/^\d$/.test(v.trim()) ? String(result.value) : undefined;
    },
    numeric,
    (v) => (meaning === "attr:country" ? ok(normalizeCountry(v)) : undefined),
    (v) => ok(normalizeArray(v))?.join("\u0000"),
  ];
}

/**
 * True when two files really disagree on a value, and not only on how it is written (epoch
 * milliseconds against dd.MM.yyyy, `+90 532…` against `0532…`, JSON array against a list).
 */
export function isRealConflict(conflict: MergeConflict, timeZone: string): boolean {
  const a = conflict.kept.value;
  const b = conflict.other.value;
  for (const form of canonicalForms(conflict.meaning, timeZone)) {
    const left = form(a);
    const right = form(b);
    if (left !== undefined && right !== undefined) {
      return left !== right;
    }
  }
  return a.trim() !== b.trim();
}
