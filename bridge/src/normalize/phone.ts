import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js/max";
import { getCountryCallingCode } from "libphonenumber-js/max";
import { accept, reject, type Normalized } from "./result.js";

export interface PhoneNumber {
  /** E.164 form, e.g. +905312345678. */
  e164: string;
  /** True when the number is a mobile number (or may be one, where the plan cannot tell). */
  mobile: boolean;
}

function parseNumber(text: string, region: CountryCode, strict: boolean): PhoneNumber | undefined {
  const parsed = parsePhoneNumberFromString(text, region);
  if (!parsed || !(strict ? parsed.isValid() : parsed.isPossible())) {
    return undefined;
  }
  const type = parsed.getType();
  return { e164: parsed.number, mobile: type === undefined || type.includes("MOBILE") };
}

/**
 * Normalise an MSISDN or phone number to E.164 with libphonenumber-js metadata. Numbers without
 * a plus are read in the default region (Turkey) unless they start with that region's calling
 * code, as Netmera's segment export writes MSISDNs (`905312345678` is +90 531 234 56 78).
 */
export function normalizePhone(
  raw: string,
  defaultRegion: CountryCode = "TR",
): Normalized<PhoneNumber> {
  const compact = raw.trim().replace(/[\s().\-/]/g, "");
  if (compact === "") {
    return reject("is not a phone number");
  }
  const international = compact.startsWith("00") ? `+${compact.slice(2)}` : compact;
  if (international.startsWith("+")) {
    const parsed =
      parseNumber(international, defaultRegion, true) ??
      parseNumber(international, defaultRegion, false);
    return parsed
      ? accept(parsed)
      : reject("is not a phone number (wrong length for its country code)");
  }
  if (!/^\d+$/.test(international)) {
    return reject("is not a phone number (only digits, spaces, dashes and a leading + allowed)");
  }
  const callingCode = getCountryCallingCode(defaultRegion);
  const attempts = international.startsWith(callingCode)
    ? [`+${international}`, international]
    : [international, `+${international}`];
  // A number valid in the metadata wins; a number that only has a possible length comes second,
  // because the metadata lags behind newly allocated number ranges.
  for (const strict of [true, false]) {
    for (const attempt of attempts) {
      const parsed = parseNumber(attempt, defaultRegion, strict);
      if (parsed) {
        return accept(parsed);
      }
    }
  }
  return reject(
    `is not a valid phone number (read in region ${defaultRegion} and as international)`,
  );
}
