import { createRequire } from "node:module";
import countries, { type LocaleData } from "i18n-iso-countries";
import { accept, reject, type Normalized } from "./result.js";
import { foldKey } from "./text.js";

// Loaded with require, which every runtime and bundler of this package reads the same way.
const require = createRequire(import.meta.url);
/**
 * English and Turkish first, then the languages of the EU and EEA, whose users write their own
 * country's name ("Deutschland", "Norge"). Arabic, Cyrillic and Greek names are included too.
 */
const LOCALES = [
  "en",
  "tr",
  "de",
  "fr",
  "it",
  "es",
  "nl",
  "pl",
  "pt",
  "sv",
  "da",
  "fi",
  "nb",
  "no",
  "el",
  "cs",
  "hu",
  "ro",
  "bg",
  "hr",
  "sk",
  "sl",
  "et",
  "lv",
  "lt",
  "ga",
  "mt",
  "is",
  "ru",
  "ar",
];
for (const locale of LOCALES) {
  countries.registerLocale(require(`i18n-iso-countries/langs/${locale}.json`) as LocaleData);
}

/** Codes the EU uses in place of ISO's: EL for Greece, UK for the United Kingdom. */
const EU_CODES: Record<string, string> = { EL: "GR", UK: "GB" };

let index: Map<string, string> | undefined;
/** Folded names that mean different countries in different languages, with their codes. */
const ambiguousNames = new Map<string, Set<string>>();

/**
 * Folded country names and codes → ISO 3166-1 alpha-2. A name that means two countries in two
 * languages is left out, so that it is rejected rather than guessed.
 */
function countryIndex(): Map<string, string> {
  if (index) {
    return index;
  }
  const names = new Map<string, string>();
  for (const locale of LOCALES) {
    for (const [code, list] of Object.entries(countries.getNames(locale, { select: "all" }))) {
      for (const name of list) {
        const key = foldKey(name);
        const known = names.get(key);
        if (known !== undefined && known !== code) {
          ambiguousNames.set(key, new Set([...(ambiguousNames.get(key) ?? []), known, code]));
        } else {
          names.set(key, code);
        }
      }
    }
  }
  for (const key of ambiguousNames.keys()) names.delete(key);
  // Codes win over names: "DE" is Germany, whatever a name folds to.
  for (const [alpha2, alpha3] of Object.entries(countries.getAlpha2Codes())) {
    names.set(foldKey(alpha2), alpha2);
    names.set(foldKey(alpha3), alpha2);
  }
  for (const [code, alpha2] of Object.entries(EU_CODES)) {
    names.set(foldKey(code), alpha2);
  }
  index = names;
  return index;
}

/**
 * Normalise a country given as an English or Turkish name ("Turkey", "Türkiye", "Almanya") or as
 * an ISO 3166-1 alpha-2/alpha-3 code to the alpha-2 code Odoo's `res.country.code` holds.
 */
export function normalizeCountry(raw: string): Normalized<string> {
  const key = foldKey(raw);
  const code = countryIndex().get(key);
  if (!code) {
    const codes = ambiguousNames.get(key);
    return reject(
      codes
        ? `names more than one country (${[...codes].sort().join(", ")}); write the ISO 3166 code`
        : "is not a country name or ISO 3166 code",
    );
  }
  return accept(code);
}
