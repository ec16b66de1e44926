import { GENDER_SELECTION, MARITAL_STATUS_SELECTION } from "../normalize/enums.js";
import type { MappingTarget } from "./types.js";

export interface KnownTarget {
  target: MappingTarget;
  confidence: number;
  reason: string;
}

const partner = (
  field: string | null,
  type: MappingTarget["type"],
  action: MappingTarget["action"],
  extra: Partial<MappingTarget> = {},
): MappingTarget => ({ model: "res.partner", field, type, action, ...extra });

/**
 * Targets of Netmera's built-in profile attributes. Codes follow the SDKs (`name`, `surname`,
 * `email`, `msisdn`, `dateOfBirth`, `gender`, `maritalStatus`, `childCount`, …); Odoo 18's
 * res.partner has no birthday, gender or marital status, so those get `x_netmera_*` fields.
 */
export const STANDARD_ATTRIBUTE_TARGETS: Record<string, KnownTarget> = {
  name: {
    target: partner("name", "char", "existing"),
    confidence: 0.95,
    reason: "first name; joined with surname into the contact name",
  },
  surname: {
    target: partner("name", "char", "existing"),
    confidence: 0.95,
    reason: "last name; joined with name into the contact name",
  },
  email: {
    target: partner("email", "char", "existing"),
    confidence: 0.99,
    reason: "e-mail address",
  },
  msisdn: {
    target: partner("mobile", "char", "existing"),
    confidence: 0.95,
    reason: "mobile number, written in E.164 form",
  },
  dateOfBirth: {
    target: partner("x_netmera_date_of_birth", "date", "create"),
    confidence: 0.9,
    reason: "res.partner has no birthday field; epoch ms at local midnight become a date",
  },
  gender: {
    target: partner("x_netmera_gender", "selection", "create", { selection: GENDER_SELECTION }),
    confidence: 0.85,
    reason: "SDK encoding 0 male, 1 female, 2 not specified becomes a selection",
  },
  maritalStatus: {
    target: partner("x_netmera_marital_status", "selection", "create", {
      selection: MARITAL_STATUS_SELECTION,
    }),
    confidence: 0.85,
    reason: "SDK encoding 0 single, 1 married, 2 not specified becomes a selection",
  },
  city: { target: partner("city", "char", "existing"), confidence: 0.95, reason: "city" },
  country: {
    target: partner("country_id", "many2one", "existing"),
    confidence: 0.9,
    reason: "country name or ISO code, matched to res.country",
  },
  language: {
    target: partner("lang", "selection", "existing"),
    confidence: 0.85,
    reason: "language name or code, matched to an Odoo language (installed when missing)",
  },
  occupation: {
    target: partner("function", "char", "existing"),
    confidence: 0.7,
    reason: "occupation written as the contact's job position",
  },
  externalSegments: {
    target: {
      model: "res.partner.category",
      field: "category_id",
      type: "many2many",
      action: "tag",
    },
    confidence: 0.8,
    reason: "array of external segment names, one tag each",
  },
};

/** Targets of identity and device columns, by the meaning the snapshot reader gives them. */
export const COLUMN_MEANING_TARGETS: Record<string, KnownTarget> = {
  extId: {
    target: partner("netmera_external_id", "char", "existing"),
    confidence: 1,
    reason: "Netmera external ID; also the key of the contact's external ID",
  },
  deviceModel: {
    target: partner("netmera_device_model", "char", "existing"),
    confidence: 0.9,
    reason: "device model of the user's most recent installation",
  },
  os: {
    target: partner("netmera_os", "char", "existing"),
    confidence: 0.8,
    reason: "operating system of the user's installation",
  },
  platform: {
    target: partner("netmera_os", "char", "existing"),
    confidence: 0.85,
    reason: "platform (IOS, ANDROID …) of the installation",
  },
  appVersion: {
    target: partner("netmera_app_version", "char", "existing"),
    confidence: 0.9,
    reason: "app version of the installation",
  },
  deviceType: {
    target: partner(null, null, "skip"),
    confidence: 0.7,
    reason: "platform of the first device only; devices.csv gives it per installation",
  },
  deviceCount: {
    target: partner(null, null, "skip"),
    confidence: 0.8,
    reason: "a count derived from the installations, not a contact property",
  },
  osVersion: {
    target: partner(null, null, "skip"),
    confidence: 0.7,
    reason: "OS version is kept in the snapshot; netmera_os holds the platform",
  },
  installationId: {
    target: partner(null, null, "skip"),
    confidence: 0.9,
    reason: "installation key; links devices and events to a contact, not written to Odoo",
  },
  pushToken: {
    target: partner(null, null, "skip"),
    confidence: 1,
    reason: "push tokens never leave the snapshot",
  },
  pushPermitted: {
    target: partner(null, null, "skip"),
    confidence: 0.8,
    reason: "push permission is reported as a count in the audit, not stored per contact",
  },
};

/** Column meanings that are the same as a standard attribute (the attribute's entry decides). */
export const IDENTITY_MEANINGS = new Set(["email", "msisdn", "name", "surname"]);

/**
 * Header spellings of standard attributes, for a snapshot whose profile-attributes.json is
 * missing: the reader then gives these columns no attribute meaning, and the header alone
 * shows what they contain. Identity columns (email, MSISDN, name, surname) are matched by the
 * snapshot reader itself.
 */
export const STANDARD_HEADERS: Record<string, string[]> = {
  dateOfBirth: ["Date of Birth", "Birth Date", "Birthday", "dateOfBirth", "Doğum Tarihi"],
  gender: ["Gender", "Cinsiyet"],
  maritalStatus: ["Marital Status", "maritalStatus", "Medeni Durum", "Medeni Hal"],
  city: ["City", "Şehir", "İl"],
  country: ["Country", "Ülke"],
  language: ["Language", "Dil"],
  occupation: ["Occupation", "Meslek"],
};
