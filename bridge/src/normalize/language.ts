import { DEFAULT_VARIANT, ODOO_LANGUAGES, TURKISH_NAMES } from "./odoo-languages.js";
import { accept, reject, type Normalized } from "./result.js";
import { foldKey } from "./text.js";

const CODES = new Set(ODOO_LANGUAGES.map(([code]) => code));
const BY_NAME = new Map<string, string>();
const BY_BASE = new Map<string, string[]>();

for (const [code, english, native] of ODOO_LANGUAGES) {
  const base = code.split(/[_@]/)[0] ?? code;
  BY_BASE.set(base, [...(BY_BASE.get(base) ?? []), code]);
  // Regional variants ("English (UK)") are addressed by code; plain names go to the default.
  if (!english.includes("(")) {
    BY_NAME.set(foldKey(english), code);
  }
  if (native && !native.includes("(")) {
    BY_NAME.set(foldKey(native), code);
  }
}
for (const [base, code] of Object.entries(DEFAULT_VARIANT)) {
  BY_NAME.set(
    foldKey(ODOO_LANGUAGES.find(([c]) => c === code)?.[1].replace(/ \(.*\)$/, "") ?? base),
    code,
  );
}
BY_NAME.set("english", "en_US");
for (const [name, code] of Object.entries(TURKISH_NAMES)) {
  BY_NAME.set(foldKey(name), code);
}

function codeForBase(base: string): string | undefined {
  const defaultCode = DEFAULT_VARIANT[base];
  if (defaultCode) {
    return defaultCode;
  }
  const codes = BY_BASE.get(base) ?? [];
  return codes.length === 1 ? codes[0] : undefined;
}

/**
 * Normalise a language name (English, native or Turkish: "Turkish", "Türkçe", "İngilizce") or
 * code ("tr", "tr_TR", "tr-TR", "en-GB") to an Odoo language code (`tr_TR`, `en_US`, `en_GB`).
 * A regional code that Odoo lacks falls back to the language's default variant (`de_AT` →
 * `de_DE`).
 */
export function normalizeLanguage(raw: string): Normalized<string> {
  const text = raw.trim();
  const codeMatch = /^([a-z]{2,3})(?:[-_]([a-z]{2}|\d{3}))?$/i.exec(text);
  if (codeMatch) {
    const base = (codeMatch[1] ?? "").toLowerCase();
    const region = codeMatch[2]?.toUpperCase();
    if (region && CODES.has(`${base}_${region}`)) {
      return accept(`${base}_${region}`);
    }
    const fallback = codeForBase(base);
    if (fallback) {
      return accept(fallback);
    }
  }
  const byName = BY_NAME.get(foldKey(text));
  if (byName) {
    return accept(byName);
  }
  return reject(
    "is not a language that Odoo knows (expected a name such as Turkish or a code such as tr_TR)",
  );
}
