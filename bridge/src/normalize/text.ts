/**
 * Fold text for matching by meaning: Unicode compatibility decomposition without combining
 * marks, the Turkish dotless ı as i, lower case, and only letters and digits kept. "E-Posta",
 * "e_posta" and "EPOSTA" all fold to "eposta"; "Türkçe" folds to "turkce".
 */
export function foldKey(text: string): string {
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
