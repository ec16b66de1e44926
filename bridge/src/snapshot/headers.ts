import { SnapshotFileError } from "../core/errors.js";
import { foldKey } from "../normalize/text.js";
import type { ProfileAttribute } from "./schemas.js";

/**
 * Meaning of a column. Identity and device columns have fixed meanings and profile attributes
 * are `attr:<code>`. A header that matches nothing is `column:<header as written>`, so that the
 * mapping can still give it a target.
 */
export type ColumnMeaning = string;

/** Kinds of tabular files, each with its own header vocabulary. */
export type TableKind = "users" | "members" | "devices" | "owners" | "companies";

/**
 * Identity columns. Spellings are compared folded (see `foldKey`), so `USER_ID`, `user-id` and
 * `User ID` are one spelling, and so are `Kullanıcı ID` and `KULLANICI_ID`.
 */
const IDENTITY: Record<string, string[]> = {
  extId: [
    "External ID",
    "extId",
    "externalId",
    "ext_id",
    "External Id",
    "ExternalID",
    "Harici ID",
    "Harici Kimlik",
    "User ID",
    "Kullanıcı ID",
    "Kullanıcı Kimliği",
  ],
  email: [
    "Email",
    "E-mail",
    "e_mail",
    "Email Address",
    "E-posta",
    "Eposta",
    "E-posta Adresi",
    "E-Mail Adresi",
    "Mail",
    "Mail Adresi",
  ],
  msisdn: [
    "MSISDN",
    "GSM",
    "GSM No",
    "Phone",
    "Mobile",
    "Phone Number",
    "Mobile Phone",
    "Mobile Number",
    "Telefon",
    "Telefon Numarası",
    "Cep Telefonu",
    "Cep Telefonu Numarası",
  ],
};

/**
 * Turkish panel labels of Netmera's standard profile attributes. They mean `attr:<code>` in a
 * users file when the snapshot defines that attribute, like the attribute's own name does.
 */
const STANDARD_ATTRIBUTE_LABELS: Record<string, string[]> = {
  dateOfBirth: ["Doğum Tarihi"],
  gender: ["Cinsiyet"],
  maritalStatus: ["Medeni Durum", "Medeni Hal"],
  city: ["Şehir"],
  country: ["Ülke"],
  language: ["Dil"],
};

/**
 * Device columns of the panel's Export Users file. Device Type holds the platform (ANDROID,
 * IOS), so the "Operating System (OS)" column holds the OS version (13, 16.7), as in the
 * sample generator's exports; it must not land in netmera_os, which holds the platform.
 */
const DEVICE_EXPORT: Record<string, string[]> = {
  deviceCount: ["Device Count", "Cihaz Sayısı"],
  deviceType: ["Device Type", "Cihaz Tipi"],
  osVersion: [
    "Operating System (OS)",
    "Operating System",
    "OS",
    "İşletim Sistemi",
    "OS Version",
    "osVersion",
    "osV",
  ],
  deviceModel: ["Device Model", "Model", "mdl", "Cihaz Modeli"],
};

const PERSON: Record<string, string[]> = {
  name: ["Name", "First Name", "Firstname", "Ad", "Adı", "İsim"],
  surname: ["Surname", "Last Name", "Lastname", "Soyad", "Soyadı"],
};

/**
 * Push token spellings: Netmera's `token` and `deviceToken`, and the names Firebase (FCM, and
 * GCM registration IDs before it) and Apple (APNs) give them. A file may hold several.
 */
const PUSH_TOKEN = [
  "Token",
  "Device Token",
  "deviceToken",
  "Push Token",
  "pushToken",
  "registrationId",
  "Registration ID",
  "regId",
  "FCM",
  "fcmToken",
  "FCM Registration Token",
  "GCM",
  "gcmToken",
  "APNs",
  "apnsToken",
  "APNs Device Token",
];

/**
 * Parts of header names that mark a push token beyond the spellings above: any "token", GCM and
 * FCM registration IDs (`gcmRegId`), APNs, and the Turkish "Cihaz Anahtarı" (device key). A
 * column that only looks like one is left out too: a token must never reach Odoo.
 */
const PUSH_TOKEN_PARTS = ["token", "regid", "registrationid", "apns", "cihazanahtar"];

/** True when a folded header (see foldKey) names a push token column. */
export function isPushTokenHeader(folded: string): boolean {
  return PUSH_TOKEN_PARTS.some((part) => folded.includes(part));
}

/** Meaning of push token columns; the only meaning that several columns of one file may share. */
export const PUSH_TOKEN_MEANING = "pushToken";

const VOCABULARY: Record<TableKind, Record<string, string[]>> = {
  users: { ...IDENTITY, ...PERSON, ...DEVICE_EXPORT, pushToken: PUSH_TOKEN },
  members: { ...IDENTITY, pushToken: PUSH_TOKEN },
  devices: {
    extId: IDENTITY.extId ?? [],
    installationId: ["Installation ID", "installationId", "installation_id"],
    platform: ["Platform", "Device Type"],
    deviceModel: ["Device Model", "deviceModel", "Model", "mdl"],
    appVersion: ["App Version", "appVersion", "appV", "Application Version"],
    osVersion: ["OS Version", "osVersion", "osV", "Operating System Version"],
    os: ["Operating System (OS)", "Operating System", "OS"],
    pushToken: PUSH_TOKEN,
    pushPermitted: ["Push Permitted", "pushPermitted", "Push Permission"],
  },
  owners: {
    ...PERSON,
    email: IDENTITY.email ?? [],
    msisdn: IDENTITY.msisdn ?? [],
    extId: IDENTITY.extId ?? [],
  },
  companies: {
    companyId: ["Company ID", "companyId", "Company Code", "ID", "Şirket Kodu"],
    name: ["Company", "Company Name", "Name", "Şirket", "Şirket Adı", "Firma", "Firma Adı"],
    domain: ["Domain", "Website", "Web Site", "Web", "URL", "Web Sitesi"],
    email: IDENTITY.email ?? [],
    phone: ["Phone", "Telephone", "Telefon", "GSM", "MSISDN"],
    country: ["Country", "Ülke"],
    city: ["City", "Şehir", "İl"],
    vat: ["VAT", "Tax Number", "Tax ID", "Vergi No", "Vergi Numarası"],
  },
};

/** Accepted spellings of a meaning for a kind of file, for messages that list them. */
export function spellingsOf(kind: TableKind, meaning: string): string[] {
  return VOCABULARY[kind][meaning] ?? [];
}

/** Built-in attribute codes that are the same thing as an identity or person column. */
const CODE_ALIASES: Record<string, string> = {
  email: "email",
  msisdn: "msisdn",
  name: "name",
  surname: "surname",
  extid: "extId",
  externalid: "extId",
};

for (const spelling of PUSH_TOKEN) {
  CODE_ALIASES[foldKey(spelling)] = PUSH_TOKEN_MEANING;
}

/** Meaning of a profile attribute code: an identity for the built-in ones, else `attr:<code>`. */
export function meaningOfCode(code: string): ColumnMeaning {
  const folded = foldKey(code);
  return CODE_ALIASES[folded] ?? (isPushTokenHeader(folded) ? PUSH_TOKEN_MEANING : `attr:${code}`);
}

export interface MatchedHeaders {
  /** Meaning of each column, by column index. */
  meanings: ColumnMeaning[];
  /** Headers that matched no known meaning (their meaning is `column:<header>`). */
  unknown: string[];
}

function buildIndex(kind: TableKind, attributes: ProfileAttribute[]): Map<string, ColumnMeaning> {
  const index = new Map<string, ColumnMeaning>();
  if (kind === "users") {
    // Attribute codes and labels first, so that fixed meanings below win on a clash.
    for (const attribute of attributes) {
      const meaning = meaningOfCode(attribute.code);
      const panelLabels = STANDARD_ATTRIBUTE_LABELS[attribute.code] ?? [];
      for (const label of [attribute.code, attribute.name, attribute.label, ...panelLabels]) {
        if (label) {
          index.set(foldKey(label), meaning);
        }
      }
    }
  }
  for (const [meaning, spellings] of Object.entries(VOCABULARY[kind])) {
    for (const spelling of spellings) {
      index.set(foldKey(spelling), meaning);
    }
  }
  return index;
}

const indexCache = new WeakMap<ProfileAttribute[], Map<TableKind, Map<string, ColumnMeaning>>>();

/**
 * Match a file's headers by meaning, ignoring case, spaces, punctuation and diacritics. Two
 * headers with the same meaning in one file are an error naming both.
 */
export function matchHeaders(
  headers: string[],
  kind: TableKind,
  attributes: ProfileAttribute[],
  file: string,
): MatchedHeaders {
  let byKind = indexCache.get(attributes);
  if (!byKind) {
    byKind = new Map();
    indexCache.set(attributes, byKind);
  }
  let index = byKind.get(kind);
  if (!index) {
    index = buildIndex(kind, attributes);
    byKind.set(kind, index);
  }
  const meanings: ColumnMeaning[] = [];
  const unknown: string[] = [];
  const seen = new Map<ColumnMeaning, string>();
  headers.forEach((header, position) => {
    const folded = foldKey(header);
    const known = folded
      ? (index.get(folded) ?? (isPushTokenHeader(folded) ? PUSH_TOKEN_MEANING : undefined))
      : undefined;
    const meaning = known ?? `column:${header || `#${position + 1}`}`;
    if (!known) {
      unknown.push(header);
    }
    const earlier = seen.get(meaning);
    if (earlier !== undefined && meaning !== PUSH_TOKEN_MEANING) {
      throw new SnapshotFileError(
        file,
        `headers "${earlier}" and "${header}" both mean ${meaning}; remove or rename one of them`,
      );
    }
    seen.set(meaning, header);
    meanings.push(meaning);
  });
  return { meanings, unknown };
}
