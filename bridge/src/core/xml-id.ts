import { createHash, hash } from "node:crypto";

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

// crypto.hash (Node 20.12 and later) hashes a string without a Hash object.
const sha256Hex: (text: string) => string =
  typeof hash === "function"
    ? (text) => hash("sha256", text, "hex")
    : (text) => createHash("sha256").update(text).digest("hex");

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    if (text.charCodeAt(i) > 0x7f) {
      return false;
    }
  }
  return true;
}

/** Readable part of an external ID: letters and digits of the key, folded to ASCII. */
function slugOf(key: string): string {
  // ASCII text is its own NFKD form and contains no combining marks and no dotless i, so only
  // the last steps apply to it.
  const folded = isAscii(key)
    ? key
    : key
        .normalize("NFKD")
        .replace(/[\u0300-\u036f]/g, "")
        .replace(/ı/g, "i");
  return folded
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 40);
}

/**
 * Build the stable external ID name for a Netmera key. Netmera extIds are case-sensitive and
 * may hold dots, slashes and non-ASCII letters, so the readable slug alone could merge two
 * keys ("Ayse" and "ayse"); the hash of the exact key keeps every distinct key distinct.
 */
export function xmlIdFor(kind: XmlIdKind, key: string): string {
  const slug = slugOf(key);
  const digest = sha256Hex(`${kind}\u0000${key}`).slice(0, 12);
  return slug ? `netmera_${kind}_${slug}_${digest}` : `netmera_${kind}_${digest}`;
}

/** sha256 of a text in hex, for names derived from keys. */
export function sha256OfText(text: string): string {
  return sha256Hex(text);
}

/** Full external ID as Odoo stores it in ir.model.data (`module.name`). */
export function fullXmlId(name: string): string {
  return `${XML_ID_MODULE}.${name}`;
}
