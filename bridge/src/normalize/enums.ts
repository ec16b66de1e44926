import { accept, reject, type Normalized } from "./result.js";
import { foldKey } from "./text.js";

/**
 * Gender as Netmera's SDKs encode it (Male 0, Female 1, NotSpecified 2), or as English and
 * Turkish words. Values are the selection keys of the Odoo field.
 */
export const GENDER_SELECTION: [string, string][] = [
  ["male", "Male"],
  ["female", "Female"],
  ["not_specified", "Not specified"],
];

/** Marital status as the SDKs encode it (Single 0, Married 1, NotSpecified 2), or as words. */
export const MARITAL_STATUS_SELECTION: [string, string][] = [
  ["single", "Single"],
  ["married", "Married"],
  ["not_specified", "Not specified"],
];

const GENDER_WORDS: Record<string, string> = {
  "0": "male",
  male: "male",
  m: "male",
  man: "male",
  erkek: "male",
  e: "male",
  bay: "male",
  "1": "female",
  female: "female",
  f: "female",
  woman: "female",
  kadin: "female",
  k: "female",
  bayan: "female",
  "2": "not_specified",
  notspecified: "not_specified",
  unspecified: "not_specified",
  unknown: "not_specified",
  belirtilmemis: "not_specified",
  bilinmiyor: "not_specified",
};

const MARITAL_WORDS: Record<string, string> = {
  "0": "single",
  single: "single",
  bekar: "single",
  "1": "married",
  married: "married",
  evli: "married",
  "2": "not_specified",
  notspecified: "not_specified",
  unspecified: "not_specified",
  unknown: "not_specified",
  belirtilmemis: "not_specified",
  bilinmiyor: "not_specified",
};

export function normalizeGender(raw: string): Normalized<string> {
  const value = GENDER_WORDS[foldKey(raw)];
  return value ? accept(value) : reject("is not a gender (expected 0, 1, 2 or male/female)");
}

export function normalizeMaritalStatus(raw: string): Normalized<string> {
  const value = MARITAL_WORDS[foldKey(raw)];
  return value
    ? accept(value)
    : reject("is not a marital status (expected 0, 1, 2 or single/married)");
}

const TRUE_WORDS = new Set(["true", "1", "yes", "y", "evet", "e", "t"]);
const FALSE_WORDS = new Set(["false", "0", "no", "n", "hayir", "h", "f"]);

export function normalizeBoolean(raw: string): Normalized<boolean> {
  const key = foldKey(raw);
  if (TRUE_WORDS.has(key)) {
    return accept(true);
  }
  if (FALSE_WORDS.has(key)) {
    return accept(false);
  }
  return reject("is not a boolean (expected true/false, 1/0, yes/no or evet/hayır)");
}
