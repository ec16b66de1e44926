import { SnapshotFileError } from "../core/errors.js";
import { isSecretAttribute } from "./note-body.js";

/**
 * Header matching for the two tabular inputs of the history phase. The layouts of Netmera's
 * FTP "Event Data" and push-report files are not documented, so each role accepts the usual
 * spellings, compared without case, spaces or punctuation.
 */

const EVENT_ROLES = {
  user: [
    "externalid",
    "extid",
    "userexternalid",
    "externaluserid",
    "customerid",
    "user",
    "userid",
    "kullaniciid",
    "kullanicikimligi",
    "hariciid",
  ],
  code: [
    "eventcode",
    "code",
    "event",
    "eventname",
    "eventkey",
    "name",
    "olay",
    "olaykodu",
    "olayadi",
  ],
  time: [
    "timestamp",
    "eventtimestamp",
    "eventtime",
    "eventdate",
    "datetime",
    "time",
    "date",
    "createdat",
    "occurredat",
    "ts",
    "tarih",
    "zaman",
    "olaytarihi",
    "olayzamani",
  ],
  attributes: [
    "attributes",
    "eventattributes",
    "parameters",
    "eventparameters",
    "params",
    "properties",
    "payload",
    "data",
    "ozellikler",
    "olayozellikleri",
    "parametreler",
  ],
} as const;

const DELIVERY_ROLES = {
  user: ["extid", "externalid", "userexternalid", "customerid", "user", "userid", "kullaniciid"],
  time: ["timestamp", "time", "date", "datetime", "sentat", "eventtime", "createdat", "tarih"],
  status: ["status", "deliverystatus", "result", "state", "durum"],
  platform: ["platform", "os", "channel"],
  error: ["errormsg", "errormessage", "error", "failreason", "reason", "hata", "hatamesaji"],
  campaign: ["notificationkey", "campaignid", "campaign", "messageid", "msgid", "kampanya"],
} as const;

export type EventRole = keyof typeof EVENT_ROLES;
export type DeliveryRole = keyof typeof DELIVERY_ROLES;

/** Fold a header for matching: no case, accents or punctuation, and the Turkish ı as i. */
export function foldHeader(header: string): string {
  return header
    .replace(/ı/g, "i")
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "");
}

function matchRoles<Role extends string>(
  file: string,
  headers: string[],
  roles: Record<Role, readonly string[]>,
  required: Role[],
): Map<Role, number> {
  const folded = headers.map(foldHeader);
  const found = new Map<Role, number>();
  for (const role of Object.keys(roles) as Role[]) {
    // Earlier aliases win, so "externalId" beats a later "userId" column.
    for (const alias of roles[role]) {
      const index = folded.indexOf(alias);
      if (index >= 0 && ![...found.values()].includes(index)) {
        found.set(role, index);
        break;
      }
    }
  }

  const missing = required.filter((role) => !found.has(role));
  if (missing.length > 0) {
    const expected = missing.map((role) => `${role} (${roles[role].join(", ")})`).join("; ");
    throw new SnapshotFileError(
      file,
      `has no column for ${expected}; headers found: ${headers.map((h) => JSON.stringify(h)).join(", ")}`,
    );
  }
  return found;
}

export interface EventColumns {
  headers: string[];
  user: number;
  code: number;
  time: number;
  attributes: number | undefined;
  /** Further columns whose values become event attributes (device handles excluded). */
  extra: number[];
}

export function matchEventColumns(file: string, headers: string[]): EventColumns {
  const roles = matchRoles<EventRole>(file, headers, EVENT_ROLES, ["user", "code", "time"]);
  const used = new Set(roles.values());
  const extra = headers
    .map((header, index) => ({ header, index }))
    .filter(({ header, index }) => !used.has(index) && header.trim() !== "")
    .filter(({ header }) => !isSecretAttribute(header))
    .map(({ index }) => index);
  return {
    headers,
    user: roles.get("user")!,
    code: roles.get("code")!,
    time: roles.get("time")!,
    attributes: roles.get("attributes"),
    extra,
  };
}

export interface DeliveryColumns {
  headers: string[];
  user: number;
  time: number;
  status: number;
  platform: number | undefined;
  error: number | undefined;
  campaign: number | undefined;
}

export function matchDeliveryColumns(file: string, headers: string[]): DeliveryColumns {
  const roles = matchRoles<DeliveryRole>(file, headers, DELIVERY_ROLES, ["user", "time", "status"]);
  return {
    headers,
    user: roles.get("user")!,
    time: roles.get("time")!,
    status: roles.get("status")!,
    platform: roles.get("platform"),
    error: roles.get("error"),
    campaign: roles.get("campaign"),
  };
}
