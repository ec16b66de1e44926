import type { MappingTarget } from "../mapping/types.js";
import { normalizeArray } from "../normalize/arrays.js";
import { normalizeCountry } from "../normalize/country.js";
import { normalizeDate, normalizeDateTime } from "../normalize/dates.js";
import { normalizeEmail } from "../normalize/email.js";
import {
  GENDER_SELECTION,
  MARITAL_STATUS_SELECTION,
  normalizeBoolean,
  normalizeGender,
  normalizeMaritalStatus,
} from "../normalize/enums.js";
import { normalizeLanguage } from "../normalize/language.js";
import { parseInteger, parseNumber, type NumberFormat } from "../normalize/numbers.js";
import { normalizePhone } from "../normalize/phone.js";
import { accept, reject, type Normalized } from "../normalize/result.js";
import { foldKey } from "../normalize/text.js";

export interface ConvertContext {
  timeZone: string;
  /** The number format decided for a column meaning in a file, or why it has none. */
  numberFormat(meaning: string, file: string): Normalized<NumberFormat>;
  arraySeparator: string;
}

function sameKeys(selection: [string, string][] | undefined, known: [string, string][]): boolean {
  if (!selection || selection.length !== known.length) {
    return false;
  }
  return selection.every(([key], index) => key === known[index]?.[0]);
}

function convertSelection(raw: string, target: MappingTarget): Normalized<string> {
  if (sameKeys(target.selection, GENDER_SELECTION)) {
    return normalizeGender(raw);
  }
  if (sameKeys(target.selection, MARITAL_STATUS_SELECTION)) {
    return normalizeMaritalStatus(raw);
  }
  const folded = foldKey(raw);
  for (const [key, label] of target.selection ?? []) {
    if (key === raw.trim() || foldKey(key) === folded || foldKey(label) === folded) {
      return accept(key);
    }
  }
  return reject(`is not one of the values of ${target.field ?? "the field"}`);
}

function isArrayText(raw: string): boolean {
  return raw.trim().startsWith("[");
}

function convertText(raw: string, isArray: boolean, context: ConvertContext): Normalized<string> {
  if (isArray || isArrayText(raw)) {
    const items = normalizeArray(raw);
    if (!items.ok) {
      return isArray ? items : accept(raw.trim());
    }
    return accept(items.value.join(context.arraySeparator));
  }
  return accept(raw.trim());
}

/**
 * Convert one raw value to what a plan row holds for a plain (or country/language) field.
 * Relations to companies and owners are resolved by the contact builder, not here.
 */
export function convertValue(
  raw: string,
  meaning: string,
  target: MappingTarget,
  isArray: boolean,
  context: ConvertContext,
  file = "",
): Normalized<unknown> {
  switch (target.field) {
    case "email":
      return normalizeEmail(raw);
    case "phone":
    case "mobile": {
      const phone = normalizePhone(raw);
      return phone.ok ? accept(phone.value.e164) : phone;
    }
    case "country_id": {
      const country = normalizeCountry(raw);
      return country.ok ? accept({ code: country.value }) : country;
    }
    case "lang":
      return normalizeLanguage(raw);
    default:
      break;
  }
  switch (target.type) {
    case "char":
    case "text":
    case "html":
    case null:
      return convertText(raw, isArray, context);
    case "integer":
    case "float": {
      const parse = target.type === "integer" ? parseInteger : parseNumber;
      const format = context.numberFormat(meaning, file);
      if (!format.ok) {
        // The column's format is undecided, yet a value such as "2" reads as the same number in
        // both formats, and is kept.
        const point = parse(raw, "point");
        const comma = parse(raw, "comma");
        if (point.ok && comma.ok && point.value === comma.value) {
          return point;
        }
        return reject(`cannot be read because the column ${format.reason}`);
      }
      return parse(raw, format.value);
    }
    case "boolean":
      return normalizeBoolean(raw);
    case "date":
      return normalizeDate(raw, context.timeZone);
    case "datetime":
      return normalizeDateTime(raw, context.timeZone);
    case "selection":
      return convertSelection(raw, target);
    default:
      return reject(
        `cannot be written to ${target.field} (${target.type} fields are not planned from columns)`,
      );
  }
}
