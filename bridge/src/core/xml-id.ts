import { createHash } from "node:crypto";

/**
 * Kinds of records the bridge gives an external ID. The prefix keeps the kinds apart, so a tag
 * and a contact with the same key never share an ID.
 */
export type XmlIdKind =
  | "user"
  | "company"
  | "tag"
  | "segment"
  | "stage"
  | "owner"
  | "campaign"
  | "field"
  | "event"
  | "message";

/** Module part of every external ID, the one Odoo's own CSV importer uses for `id` columns. */
export const XML_ID_MODULE = "__import__";

/**
 * Build the stable external ID name for a Netmera key. Netmera extIds are case-sensitive and
 * may hold dots, slashes and non-ASCII letters, so the readable slug alone could merge two
 * keys ("Ayse" and "ayse"); the hash of the exact key keeps every distinct key distinct.
 */
export function xmlIdFor(kind: XmlIdKind, key: string): string {
  const slug = key
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/ı/g, "i")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 40);
  const digest = createHash("sha256").update(`${kind}\u0000${key}`).digest("hex").slice(0, 12);
  return slug ? `netmera_${kind}_${slug}_${digest}` : `netmera_${kind}_${digest}`;
}

/** Full external ID as Odoo stores it in ir.model.data (`module.name`). */
export function fullXmlId(name: string): string {
  return `${XML_ID_MODULE}.${name}`;
}
