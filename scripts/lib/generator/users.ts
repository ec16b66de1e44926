import { EU_EEA_COUNTRIES } from "../../../bridge/src/audit/eu-eea.js";
import { Random } from "./random.js";
import {
  COMPANIES,
  OWNERS,
  UNKNOWN_COMPANY_ID,
  type SegmentKey,
  type TagKey,
} from "./definitions.js";
import {
  DEVICE_MODELS,
  EMAIL_DOMAINS,
  FAVORITE_CATEGORIES,
  INTERNATIONAL_FIRST_NAMES,
  INTERNATIONAL_PLACES,
  INTERNATIONAL_SURNAMES,
  MEMBERSHIP_TIERS,
  NOTE_SENTENCES,
  STORE_PREFIXES,
  TURKISH_FIRST_NAMES,
  TURKISH_PLACES,
  TURKISH_SURNAMES,
  type Place,
} from "./vocabulary.js";

export interface Device {
  platform: "IOS" | "ANDROID";
  installationId: string;
  model: string;
  appVersion: string;
  osVersion: string;
  /** Push token; written to devices.csv only. */
  token: string;
  pushPermitted: boolean;
}

/** One generated user with every value the snapshot files need. */
export interface SampleUser {
  index: number;
  /** Null for an anonymous installation that never logged in. */
  extId: string | null;
  name: string;
  surname: string;
  email: string | null;
  msisdn: string | null;
  /** Epoch milliseconds of local midnight in Istanbul, or a broken text for the invalid-date case. */
  dateOfBirth: number | string | null;
  gender: 0 | 1 | 2;
  maritalStatus: 0 | 1 | 2;
  place: Place;
  /** Country as written in the files: mostly ISO alpha-2, sometimes a name. */
  countryText: string;
  language: string;
  loyaltyPoints: number;
  lifetimeValue: number;
  isPremium: boolean;
  lastPurchaseDate: number | null;
  favoriteCategories: string[];
  visitedStores: string[];
  customerNote: string | null;
  membershipTier: (typeof MEMBERSHIP_TIERS)[number];
  companyId: string | null;
  accountManager: string | null;
  legacyScore: string | null;
  devices: Device[];
  segments: Set<SegmentKey>;
  tags: Set<TagKey>;
  /** City this user has in the VIP segment export, when it differs from the people export. */
  conflictingCity: string | null;
}

/**
 * Awkward users at fixed indexes, so that every snapshot of at least `SPECIAL_CASES.length`
 * users contains each case whatever its size or seed.
 */
export const SPECIAL_CASES = [
  "case-lower", // extId "ayse.k"
  "case-upper", // extId "AYSE.K": differs from the previous one only by case
  "slashes", // extId with slashes
  "non-ascii", // extId with dots and Turkish letters
  "anonymous-1",
  "anonymous-2",
  "conflict", // different city in people-export.csv and segment-vip.csv
  "invalid-email",
  "invalid-date",
  "formula-hyperlink",
  "formula-plus",
  "formula-at",
  "null-cells",
] as const;

export type SpecialCase = (typeof SPECIAL_CASES)[number];

export function specialCaseOf(index: number): SpecialCase | null {
  return SPECIAL_CASES[index] ?? null;
}

const TRANSLITERATION: Record<string, string> = {
  ç: "c",
  ğ: "g",
  ı: "i",
  i: "i",
  ö: "o",
  ş: "s",
  ü: "u",
  â: "a",
  é: "e",
  è: "e",
  ë: "e",
  ø: "o",
  á: "a",
};

function asciiLocal(text: string): string {
  return text
    .toLocaleLowerCase("tr")
    .split("")
    .map((ch) => TRANSLITERATION[ch] ?? ch)
    .join("")
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^a-z0-9]+/g, "");
}

const istanbulParts = new Intl.DateTimeFormat("en-US", {
  timeZone: "Europe/Istanbul",
  hourCycle: "h23",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
});

/** Since 2016-09-07 Türkiye keeps UTC+3 all year (IANA tz database, Europe/Istanbul). */
const PERMANENT_PLUS_THREE = Date.UTC(2016, 8, 7);

/** Offset of Istanbul from UTC in minutes at an instant (it was +2/+3 with DST before 2016). */
export function istanbulOffsetMinutes(epochMs: number): number {
  // The fast path skips Intl for every event timestamp, which dominates generation time.
  if (epochMs >= PERMANENT_PLUS_THREE) {
    return 180;
  }

  // Offsets change on whole hours, and birth dates repeat, so an hourly cache avoids most Intl calls.
  const hour = Math.floor(epochMs / 3_600_000);
  const cached = offsetByHour.get(hour);
  if (cached !== undefined) {
    return cached;
  }
  if (offsetByHour.size >= 200_000) {
    offsetByHour.clear();
  }
  const offset = intlOffsetMinutes(epochMs);
  offsetByHour.set(hour, offset);
  return offset;
}

const offsetByHour = new Map<number, number>();

function intlOffsetMinutes(epochMs: number): number {
  const parts = Object.fromEntries(
    istanbulParts.formatToParts(new Date(epochMs)).map((p) => [p.type, p.value]),
  );
  const asUtc = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
  );
  return Math.round((asUtc - Math.floor(epochMs / 60000) * 60000) / 60000);
}

/** Epoch milliseconds of an Istanbul local time. */
export function istanbulEpoch(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  let guess = wall - 3 * 3600_000;
  for (let i = 0; i < 2; i += 1) {
    guess = wall - istanbulOffsetMinutes(guess) * 60_000;
  }
  return guess;
}

function msisdnSpelling(random: Random, place: Place): string {
  if (place.dial !== "90") {
    return `+${place.dial}${random.int(150, 179)}${String(random.int(0, 9999999)).padStart(7, "0")}`;
  }

  const operator = random.pick(["530", "532", "533", "535", "541", "542", "505", "507", "555"]);
  const a = String(random.int(0, 999)).padStart(3, "0");
  const b = String(random.int(0, 99)).padStart(2, "0");
  const c = String(random.int(0, 99)).padStart(2, "0");
  switch (random.int(0, 5)) {
    case 0:
      return `+90${operator}${a}${b}${c}`;
    case 1:
      return `90${operator}${a}${b}${c}`;
    case 2:
      return `0${operator}${a}${b}${c}`;
    case 3:
      return `0${operator} ${a} ${b} ${c}`;
    case 4:
      return `+90 (${operator}) ${a}-${b}-${c}`;
    default:
      return `${operator}${a}${b}${c}`;
  }
}

function makeDevices(random: Random, index: number, anonymous: boolean): Device[] {
  const count = anonymous ? 1 : random.pick([0, 1, 1, 1, 1, 2, 2]);
  const devices: Device[] = [];
  for (let d = 0; d < count; d += 1) {
    const platform = random.chance(0.45) ? "IOS" : "ANDROID";
    const token =
      platform === "IOS"
        ? random.hex(64)
        : `${random.hex(11)}:APA91b${random.hex(40)}${random.hex(80)}`;
    devices.push({
      platform,
      installationId: `inst-${index}-${d}-${random.hex(8)}`,
      model: random.pick(DEVICE_MODELS[platform]),
      appVersion: random.pick(["5.2.0", "5.3.1", "5.4.0", "6.0.0"]),
      osVersion:
        platform === "IOS"
          ? random.pick(["16.7", "17.4", "17.5"])
          : random.pick(["12", "13", "14"]),
      token,
      pushPermitted: random.chance(0.7),
    });
  }
  return devices;
}

/** Build user `index` of the snapshot for `seed`; the same arguments always give the same user. */
export function makeUser(seed: string | number, index: number): SampleUser {
  const random = new Random(seed, "user", index);
  const special = specialCaseOf(index);
  const anonymous = special === "anonymous-1" || special === "anonymous-2";

  const international = random.chance(0.15);
  const place = international ? random.pick(INTERNATIONAL_PLACES) : random.pick(TURKISH_PLACES);
  const name = international
    ? random.pick(INTERNATIONAL_FIRST_NAMES)
    : random.pick(TURKISH_FIRST_NAMES);
  const surname = international
    ? random.pick(INTERNATIONAL_SURNAMES)
    : random.pick(TURKISH_SURNAMES);

  const localPart = `${asciiLocal(name)}.${asciiLocal(surname)}${random.int(1, 999)}`;
  let email: string | null = random.chance(0.9)
    ? `${localPart}@${random.pick(EMAIL_DOMAINS)}`
    : null;
  if (email && random.chance(0.08)) {
    email = email.replace(/^./, (c) => c.toUpperCase());
  }

  const birthYear = random.int(1950, 2006);
  const birthMonth = random.int(1, 12);
  const birthDay = random.int(1, 28);
  const dateOfBirth = random.chance(0.85) ? istanbulEpoch(birthYear, birthMonth, birthDay) : null;

  const tier = random.pick([
    "bronze",
    "bronze",
    "bronze",
    "silver",
    "silver",
    "gold",
    "platinum",
  ] as const);
  const stores = random.sample(
    Array.from({ length: 60 }, (_, i) => `${STORE_PREFIXES[i % STORE_PREFIXES.length]} #${i + 1}`),
    random.int(0, 4),
  );
  const lastPurchase = random.chance(0.7)
    ? istanbulEpoch(2024, random.int(1, 6), random.int(1, 28))
    : null;

  let companyId: string | null = null;
  if (random.chance(0.2)) {
    companyId = random.chance(0.05) ? UNKNOWN_COMPANY_ID : random.pick(COMPANIES).companyId;
  }

  const legacyRoll = random.int(0, 9);
  const legacyScore =
    legacyRoll < 4
      ? String(random.int(1, 100))
      : legacyRoll < 6
        ? `${random.int(1, 9)}.5`
        : legacyRoll < 8
          ? random.pick(["yüksek", "orta", "düşük"])
          : null;

  const user: SampleUser = {
    index,
    extId: anonymous ? null : `C${1_000_000 + index}`,
    name,
    surname,
    email,
    msisdn: random.chance(0.8) ? msisdnSpelling(random, place) : null,
    dateOfBirth,
    gender: random.pick([0, 1, 2] as const),
    maritalStatus: random.pick([0, 1, 2] as const),
    place,
    countryText: place.country === "TR" && random.chance(0.05) ? "Türkiye" : place.country,
    language: place.language === "tr" && random.chance(0.2) ? "tr-TR" : place.language,
    loyaltyPoints: random.int(0, 25_000),
    lifetimeValue: Math.round(random.next() * 5_000_000) / 100,
    isPremium: random.chance(0.25),
    lastPurchaseDate: lastPurchase,
    favoriteCategories: random.sample(FAVORITE_CATEGORIES, random.int(0, 3)),
    visitedStores: stores,
    customerNote: random.chance(0.15)
      ? random.sample(NOTE_SENTENCES, random.int(3, 5)).join(" ")
      : null,
    membershipTier: tier,
    companyId,
    accountManager: random.chance(0.6) ? random.pick(OWNERS).email : null,
    legacyScore,
    devices: makeDevices(random, index, anonymous),
    segments: new Set(),
    tags: new Set(),
    conflictingCity: null,
  };

  applySpecialCase(user, special);
  assignSegmentsAndTags(user, random);
  return user;
}

function applySpecialCase(user: SampleUser, special: SpecialCase | null): void {
  switch (special) {
    case "case-lower":
      user.extId = "ayse.k";
      user.name = "Ayşe";
      user.surname = "Kılıç";
      user.email = "ayse.kilic@example.com.tr";
      break;
    case "case-upper":
      user.extId = "AYSE.K";
      user.name = "Ayşe";
      user.surname = "Kaya";
      user.email = "ayse.kaya@example.com.tr";
      break;
    case "slashes":
      user.extId = "tr/istanbul/4471";
      break;
    case "non-ascii":
      user.extId = "müşteri.çağrı.42";
      user.name = "Çağrı";
      user.surname = "Güneş";
      user.email = "cagri.gunes@example.com.tr";
      break;
    case "anonymous-1":
    case "anonymous-2":
      user.name = "";
      user.surname = "";
      user.email = null;
      user.msisdn = null;
      break;
    case "conflict":
      user.membershipTier = "gold";
      user.place = { city: "İzmir", country: "TR", dial: "90", language: "tr" };
      user.countryText = "TR";
      user.conflictingCity = "Ankara";
      break;
    case "invalid-email":
      user.email = "gökhan.demir@@example";
      break;
    case "invalid-date":
      user.dateOfBirth = "1990-13-45";
      break;
    case "formula-hyperlink":
      user.name = '=HYPERLINK("https://evil.example/x","Tıkla")';
      break;
    case "formula-plus":
      user.surname = "+90 532 000 00 00";
      break;
    case "formula-at":
      user.name = "@SUM(A1:A9)";
      user.customerNote = "-2+3 kontrol edilsin";
      break;
    case "null-cells":
      user.email = null;
      user.msisdn = null;
      user.dateOfBirth = null;
      user.customerNote = null;
      user.legacyScore = null;
      break;
    case null:
      break;
  }
}

function assignSegmentsAndTags(user: SampleUser, random: Random): void {
  const tags = user.tags;
  const anonymous = user.extId === null;
  if (!anonymous) {
    if (user.membershipTier === "gold" || user.membershipTier === "platinum") {
      tags.add("vip");
    }
    if (user.email && random.chance(0.45)) {
      tags.add("newsletter");
    }
    if (random.chance(0.1)) {
      tags.add("beta-tester");
    }
    if (random.chance(0.2)) {
      tags.add("black-friday-2024");
    }
    if (user.loyaltyPoints > 15_000) {
      tags.add("sadık-müşteri");
    }
  }

  const segments = user.segments;
  if (anonymous) {
    return;
  }
  if (user.membershipTier === "gold" || user.membershipTier === "platinum") {
    segments.add("vip");
  }
  if (user.place.city === "İstanbul") {
    segments.add("istanbul");
  }
  if (random.chance(0.12)) {
    segments.add("cart");
  }
  if (tags.has("newsletter")) {
    segments.add("newsletter");
  }
  if (EU_EEA_COUNTRIES.has(user.place.country)) {
    segments.add("europe");
  }
  if (user.devices.some((d) => d.platform === "IOS")) {
    segments.add("ios");
  }
}
