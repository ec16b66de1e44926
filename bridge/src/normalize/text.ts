/**
 * Fold text for matching by meaning: Unicode compatibility decomposition without combining
 * marks, the Turkish dotless ı as i, lower case, and only letters and digits kept. "E-Posta",
 * "e_posta" and "EPOSTA" all fold to "eposta"; "Türkçe" folds to "turkce".
 */
export function foldKey(text: string): string {
  // Countries, languages, genders and selection labels repeat from row to row, and folding
  // costs several string passes, so short keys are cached (cleared when the cache is full).
  if (text.length > FOLDED_KEY_MAX_LENGTH) {
    return foldUncached(text);
  }
  let folded = foldedKeys.get(text);
  if (folded === undefined) {
    if (foldedKeys.size >= FOLDED_KEYS_MAX) {
      foldedKeys.clear();
    }
    folded = foldUncached(text);
    foldedKeys.set(text, folded);
  }
  return folded;
}

const FOLDED_KEYS_MAX = 50_000;
const FOLDED_KEY_MAX_LENGTH = 64;
const foldedKeys = new Map<string, string>();

function foldUncached(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/ı/g, "i")
    .replace(/İ/g, "i")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, "");
}

/**
 * True for the literal `null` that panel exports and databases write for a missing value.
 * Only the all-lower and all-upper spellings count: "Null" is a surname, and is kept.
 */
export function isNullLiteral(trimmed: string): boolean {
  return trimmed === "null" || trimmed === "NULL";
}

/** True for cells that carry no value: empty, blank, or the literal `null` of panel exports. */
export function isNoValue(raw: string | undefined | null): boolean {
  if (raw === undefined || raw === null) {
    return true;
  }
  const trimmed = raw.trim();
  return trimmed === "" || isNullLiteral(trimmed);
}

/**
 * Texts that spreadsheets and apps write where an extId is missing. Read as ids, they would
 * merge every such user into one contact, so they are read as no extId.
 */
const PLACEHOLDER_EXTIDS = new Set([
  "-",
  "--",
  "---",
  "?",
  "n/a",
  "na",
  "n.a.",
  "#n/a",
  "none",
  "nil",
  "undefined",
  "unknown",
  "(null)",
  "(none)",
  "(blank)",
]);

/** True for an extId text that stands for "no extId", such as `N/A`, `-` or `undefined`. */
export function isPlaceholderExtId(trimmed: string): boolean {
  return trimmed.length <= 9 && PLACEHOLDER_EXTIDS.has(trimmed.toLowerCase());
}
