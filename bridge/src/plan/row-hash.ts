import { sha256OfText } from "../core/xml-id.js";

function keysInOrder(keys: string[]): boolean {
  for (let i = 1; i < keys.length; i += 1) {
    if ((keys[i - 1] as string) >= (keys[i] as string)) {
      return false;
    }
  }
  return true;
}

/**
 * Sort object keys at every level and drop undefined properties. Parts that are already in
 * that form come back unchanged, without a copy.
 */
function sortedDeep(value: unknown): unknown {
  if (value === null || typeof value !== "object") {
    return value;
  }
  if (Array.isArray(value)) {
    let items: unknown[] | undefined;
    for (let i = 0; i < value.length; i += 1) {
      const item: unknown = value[i];
      const sorted = sortedDeep(item);
      if (sorted !== item && items === undefined) {
        items = value.slice(0, i) as unknown[];
      }
      items?.push(sorted);
    }
    return items ?? value;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keysInOrder(keys)) {
    let copy: Record<string, unknown> | undefined;
    for (let i = 0; i < keys.length; i += 1) {
      const key = keys[i] as string;
      const item = record[key];
      const sorted = sortedDeep(item);
      if (copy === undefined && (sorted !== item || item === undefined)) {
        copy = {};
        for (let j = 0; j < i; j += 1) {
          const earlier = keys[j] as string;
          copy[earlier] = record[earlier];
        }
      }
      if (copy !== undefined && sorted !== undefined) {
        copy[key] = sorted;
      }
    }
    return copy ?? record;
  }
  // The default sort compares UTF-16 code units, the order JSON canonical forms here use.
  keys.sort();
  const result: Record<string, unknown> = {};
  for (const key of keys) {
    const sorted = sortedDeep(record[key]);
    if (sorted !== undefined) {
      result[key] = sorted;
    }
  }
  return result;
}

/** JSON text with object keys sorted at every level, so that equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortedDeep(value)) ?? "null";
}

/** Plan row hash: first 32 hex characters of the sha256 of the canonical JSON of `values`. */
export function rowHash(values: Record<string, unknown>): string {
  return hashOfJson(canonicalJson(values));
}

/** Row hash of values already in canonical JSON. */
export function hashOfJson(json: string): string {
  return sha256OfText(json).slice(0, 32);
}
