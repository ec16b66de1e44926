import { createHash } from "node:crypto";

/** JSON text with object keys sorted at every level, so that equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    return JSON.stringify(value) ?? "null";
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => (item === undefined ? "null" : canonicalJson(item))).join(",")}]`;
  }
  const record = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const item = record[key];
    if (item !== undefined) {
      parts.push(`${JSON.stringify(key)}:${canonicalJson(item)}`);
    }
  }
  return `{${parts.join(",")}}`;
}

/** Plan row hash: first 32 hex characters of the sha256 of the canonical JSON of `values`. */
export function rowHash(values: Record<string, unknown>): string {
  return createHash("sha256").update(canonicalJson(values)).digest("hex").slice(0, 32);
}
