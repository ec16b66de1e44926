import { accept, reject, type Normalized } from "./result.js";

// Dot-atom local part (RFC 5322 without quoted strings or comments, which panels do not export)
// and a domain of letter/digit labels; non-ASCII letters are allowed for internationalised
// addresses.
const LOCAL_PART = /^[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+(?:\.[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+)*$/u;
const DOMAIN_LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u;
// The same rules for ASCII text, which most addresses are. ASCII letters and digits are \p{L}
// and \p{N}, so a match here is a match of the Unicode patterns above, found faster.
const ASCII_LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const ASCII_DOMAIN =
  /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

function validLocalPart(local: string): boolean {
  return ASCII_LOCAL_PART.test(local) || LOCAL_PART.test(local);
}

function validDomain(domain: string, labels: string[]): boolean {
  if (ASCII_DOMAIN.test(domain)) {
    return true;
  }
  return labels.length >= 2 && labels.every((label) => DOMAIN_LABEL.test(label));
}

/**
 * Check email syntax and return the address trimmed, with the domain in lower case (domains are
 * case-insensitive; local parts are kept as written).
 */
export function normalizeEmail(raw: string): Normalized<string> {
  const text = raw.trim();
  if (text.length > 254) {
    return reject("is not an email address (longer than 254 characters)");
  }
  const at = text.lastIndexOf("@");
  if (at <= 0 || at === text.length - 1) {
    return reject("is not an email address");
  }
  const local = text.slice(0, at);
  const domain = text.slice(at + 1).toLowerCase();
  if (local.length > 64 || !validLocalPart(local)) {
    return reject("is not an email address (invalid part before @)");
  }
  const labels = domain.split(".");
  if (!validDomain(domain, labels)) {
    return reject("is not an email address (invalid domain)");
  }
  if (/^\d+$/.test(labels[labels.length - 1] ?? "")) {
    return reject("is not an email address (the domain ends in a number)");
  }
  return accept(`${local}@${domain}`);
}
