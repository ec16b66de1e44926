import type { FileEncoding } from "./output.js";
import { istanbulOffsetMinutes, type SampleUser } from "./users.js";

type Cell = string | number | boolean | null;

/**
 * One panel "Export Users" file. The files differ on purpose in encoding, delimiter, header
 * spelling, date format, array format and how a missing value is written, as real exports do.
 */
export interface UserFileSpec {
  path: string;
  encoding: FileEncoding;
  delimiter: string;
  header: string[];
  includes(user: SampleUser): boolean;
  row(user: SampleUser): Cell[];
}

function localDate(epochMs: number): { y: number; m: number; d: number } {
  const local = new Date(epochMs + istanbulOffsetMinutes(epochMs) * 60_000);
  return { y: local.getUTCFullYear(), m: local.getUTCMonth() + 1, d: local.getUTCDate() };
}

function isoDate(value: number | string | null): string | null {
  if (value === null || typeof value === "string") {
    return value;
  }

  const { y, m, d } = localDate(value);
  return `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

function dottedDate(value: number | string | null): string | null {
  if (value === null || typeof value === "string") {
    return value;
  }

  const { y, m, d } = localDate(value);
  return `${String(d).padStart(2, "0")}.${String(m).padStart(2, "0")}.${y}`;
}

/** Write a missing value as the word `null`, as the panel's People export does. */
function orNull(value: Cell): Cell {
  return value === null || value === "" ? "null" : value;
}

/** Device columns of the People export: count, platform, OS version and model of the first device. */
function deviceColumns(user: SampleUser): Cell[] {
  const first = user.devices[0];
  return [
    user.devices.length,
    first ? first.platform : "null",
    first ? first.osVersion : "null",
    first ? first.model : "null",
  ];
}

export const USER_FILES: UserFileSpec[] = [
  {
    path: "users/people-export.csv",
    encoding: "utf8-bom",
    delimiter: ";",
    header: [
      "External ID",
      "Name",
      "Surname",
      "Email",
      "MSISDN",
      "Date of Birth",
      "Gender",
      "Marital Status",
      "City",
      "Country",
      "Language",
      "loyaltyPoints",
      "lifetimeValue",
      "isPremium",
      "lastPurchaseDate",
      "favoriteCategories",
      "visitedStores",
      "customerNote",
      "membershipTier",
      "companyId",
      "accountManager",
      "legacyScore",
      "Device Count",
      "Device Type",
      "OS",
      "Model",
    ],
    includes: () => true,
    row: (u) =>
      [
        u.extId,
        u.name,
        u.surname,
        u.email,
        u.msisdn,
        u.dateOfBirth,
        u.extId === null ? null : u.gender,
        u.extId === null ? null : u.maritalStatus,
        u.extId === null ? null : u.place.city,
        u.extId === null ? null : u.countryText,
        u.extId === null ? null : u.language,
        u.loyaltyPoints,
        u.lifetimeValue.toFixed(2),
        u.isPremium,
        u.lastPurchaseDate,
        u.favoriteCategories.length ? JSON.stringify(u.favoriteCategories) : null,
        u.visitedStores.length ? JSON.stringify(u.visitedStores) : null,
        u.customerNote,
        u.membershipTier,
        u.companyId,
        u.accountManager,
        u.legacyScore,
      ]
        .map(orNull)
        .concat(deviceColumns(u)),
  },
  {
    path: "users/segment-vip.csv",
    encoding: "utf16le",
    delimiter: "\t",
    header: [
      "extId",
      "name",
      "surname",
      "email",
      "msisdn",
      "dateOfBirth",
      "gender",
      "city",
      "country",
      "membershipTier",
      "loyaltyPoints",
      "favoriteCategories",
    ],
    includes: (u) => u.segments.has("vip"),
    row: (u) => [
      u.extId,
      u.name,
      u.surname,
      u.email,
      u.msisdn,
      isoDate(u.dateOfBirth),
      u.gender,
      u.conflictingCity ?? u.place.city,
      u.countryText,
      u.membershipTier,
      u.loyaltyPoints,
      u.favoriteCategories.length ? JSON.stringify(u.favoriteCategories) : "",
    ],
  },
  {
    path: "users/segment-istanbul.csv",
    encoding: "windows-1254",
    delimiter: "|",
    header: [
      "External Id",
      "First Name",
      "Last Name",
      "E-mail",
      "Phone",
      "Birth Date",
      "City",
      "Country",
      "Language",
      "isPremium",
      "lastPurchaseDate",
      "visitedStores",
    ],
    includes: (u) => u.segments.has("istanbul"),
    row: (u) => [
      u.extId,
      u.name,
      u.surname,
      u.email,
      u.msisdn,
      dottedDate(u.dateOfBirth),
      u.place.city,
      u.countryText,
      u.language,
      u.isPremium,
      dottedDate(u.lastPurchaseDate),
      u.visitedStores.join(","),
    ],
  },
  {
    path: "users/segment-europe.csv",
    encoding: "utf8",
    delimiter: ",",
    header: [
      "externalId",
      "name",
      "surname",
      "email",
      "msisdn",
      "country",
      "city",
      "language",
      "lifetimeValue",
      "Kaynak Kampanya",
    ],
    includes: (u) => u.segments.has("europe"),
    row: (u) => [
      u.extId,
      u.name,
      u.surname,
      u.email,
      u.msisdn,
      u.countryText,
      u.place.city,
      u.language,
      u.lifetimeValue.toFixed(2),
      u.index % 3 === 0 ? "Black Friday Erken Erişim" : "",
    ],
  },
];
