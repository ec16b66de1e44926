import { createHash } from "node:crypto";

/** Sort object keys at every level, reusing the parts that are already in order. */
function sortedDeep(value: unknown): unknown {
  if (value === null || typeof value !== "object") {
    return value;
  }
  if (Array.isArray(value)) {
    let changed = false;
    const items = value.map((item) => {
      const sorted = sortedDeep(item);
      changed ||= sorted !== item;
      return sorted;
    });
    return changed ? items : value;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  let inOrder = true;
  for (let i = 1; i < keys.length && inOrder; i += 1) {
    inOrder = (keys[i - 1] as string) < (keys[i] as string);
  }
  const result: Record<string, unknown> = {};
  let changed = !inOrder;
  for (const key of inOrder ? keys : [...keys].sort()) {
    const item = record[key];
    if (item === undefined) {
      changed = true;
      continue;
    }
    const sorted = sortedDeep(item);
    changed ||= sorted !== item;
    result[key] = sorted;
  }
  return changed ? result : record;
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
  return createHash("sha256").update(json).digest("hex").slice(0, 32);
}
