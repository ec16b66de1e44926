import { createHash } from "node:crypto";

/** Odoo keeps field names to 63 characters, the PostgreSQL identifier limit. */
export const MAX_FIELD_NAME_LENGTH = 63;

const PREFIX = "x_netmera_";

const TURKISH_ASCII: Record<string, string> = { ı: "i", İ: "I", ş: "s", Ş: "S", ğ: "g", Ğ: "G" };

/** `loyaltyPoints` → `loyalty_points`, `HTTPStatus` → `http_status`, `Son Alış` → `son_alis`. */
export function snakeCase(text: string): string {
  return text
    .replace(/[ıİşŞğĞ]/g, (ch) => TURKISH_ASCII[ch] ?? ch)
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .replace(/_+/g, "_");
}

/**
 * Odoo name of the custom field for a Netmera code: `x_netmera_<snake_case code>`, only
 * `[a-z0-9_]`, at most 63 characters. A name that would be longer is cut and ends in 8 hex
 * characters of the code's sha256, so two long codes with the same start stay distinct.
 */
export function customFieldName(code: string): string {
  const body = snakeCase(code) || "field";
  const name = `${PREFIX}${body}`;
  if (name.length <= MAX_FIELD_NAME_LENGTH) {
    return name;
  }

  const digest = createHash("sha256").update(code).digest("hex").slice(0, 8);
  const room = MAX_FIELD_NAME_LENGTH - PREFIX.length - digest.length - 1;
  return `${PREFIX}${body.slice(0, room).replace(/_+$/, "")}_${digest}`;
}

/** True when `name` follows Odoo's rules for a manual (custom) field name. */
export function isValidCustomFieldName(name: string): boolean {
  return /^x_[a-z0-9_]+$/.test(name) && name.length <= MAX_FIELD_NAME_LENGTH;
}

/**
 * Give every code its own field name. Codes that fold to the same name (`visitCount` and
 * `visit_count`) keep the plain name for the first code in sorted order and a hashed suffix
 * for the others, so the result does not depend on file order.
 */
export function assignFieldNames(codes: Iterable<string>): Map<string, string> {
  const result = new Map<string, string>();
  const taken = new Set<string>();
  for (const code of [...new Set(codes)].sort()) {
    let name = customFieldName(code);
    if (taken.has(name)) {
      const digest = createHash("sha256").update(code).digest("hex").slice(0, 8);
      name = `${name.slice(0, MAX_FIELD_NAME_LENGTH - 9)}_${digest}`;
    }
    taken.add(name);
    result.set(code, name);
  }
  return result;
}
