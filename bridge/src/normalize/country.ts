import { createRequire } from "node:module";
import countries, { type LocaleData } from "i18n-iso-countries";
import { accept, reject, type Normalized } from "./result.js";
import { foldKey } from "./text.js";

// Loaded with require, which every runtime and bundler of this package reads the same way.
const require = createRequire(import.meta.url);
countries.registerLocale(require("i18n-iso-countries/langs/en.json") as LocaleData);
countries.registerLocale(require("i18n-iso-countries/langs/tr.json") as LocaleData);

let index: Map<string, string> | undefined;

/** Folded country names (all English and Turkish variants) and codes → ISO 3166-1 alpha-2. */
function countryIndex(): Map<string, string> {
  if (index) {
    return index;
  }
  index = new Map();
  for (const locale of ["en", "tr"]) {
    for (const [code, names] of Object.entries(countries.getNames(locale, { select: "all" }))) {
      for (const name of names) {
        index.set(foldKey(name), code);
      }
    }
  }
  for (const [alpha2, alpha3] of Object.entries(countries.getAlpha2Codes())) {
    index.set(foldKey(alpha2), alpha2);
    index.set(foldKey(alpha3), alpha2);
  }
  return index;
}

/**
 * Normalise a country given as an English or Turkish name ("Turkey", "Türkiye", "Almanya") or as
 * an ISO 3166-1 alpha-2/alpha-3 code to the alpha-2 code Odoo's `res.country.code` holds.
 */
export function normalizeCountry(raw: string): Normalized<string> {
  const code = countryIndex().get(foldKey(raw));
  if (!code) {
    return reject("is not a country name or ISO 3166 code");
  }
  return accept(code);
}
