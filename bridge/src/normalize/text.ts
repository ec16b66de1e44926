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

/** True for cells that carry no value: empty, blank, or the literal `null` of panel exports. */
export function isNoValue(raw: string | undefined | null): boolean {
  if (raw === undefined || raw === null) {
    return true;
  }
  const trimmed = raw.trim();
  return trimmed === "" || trimmed.toLowerCase() === "null";
}
