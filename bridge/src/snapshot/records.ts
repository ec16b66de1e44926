import { extname } from "node:path";
import { SnapshotFileError } from "../core/errors.js";
import { isNullLiteral, isPlaceholderExtId } from "../normalize/text.js";
import { MAX_CELL_CHARS, tooLongFieldProblem } from "./cell-limits.js";
import { PUSH_TOKEN_MEANING, spellingsOf } from "./headers.js";
import { streamJsonRecords } from "./json-stream.js";
import {
  deviceRecordSchema,
  memberRecordSchema,
  profileRecordSchema,
  userDevicesRecordSchema,
} from "./schemas.js";
import { openSnapshotTable, snapshotPath, type Snapshot } from "./snapshot.js";

/** One member of a segment or tag export. */
export interface MemberRow {
  file: string;
  line: number;
  extId?: string;
  email?: string;
  msisdn?: string;
  /** Set when the row cannot be used (why), so the caller can quarantine it. */
  problem?: string;
}

/**
 * One installation. The push token is deliberately not part of this shape: it never leaves
 * the snapshot, so readers report only whether one was present.
 */
export interface DeviceRow {
  file: string;
  line: number;
  extId?: string;
  installationId?: string;
  platform?: string;
  model?: string;
  appVersion?: string;
  osVersion?: string;
  os?: string;
  hasPushToken: boolean;
  pushPermitted?: boolean;
  problem?: string;
}

const JSON_EXTENSIONS = new Set([".json", ".ndjson", ".jsonl"]);

function text(value: unknown): string | undefined {
  if (value === null || value === undefined) {
    return undefined;
  }
  const result = String(value).trim();
  return result === "" || isNullLiteral(result) ? undefined : result;
}

/** Return an extId as read, or undefined for a placeholder such as `N/A` (no extId). */
function extIdText(value: unknown): string | undefined {
  const result = text(value);
  return result === undefined || isPlaceholderExtId(result) ? undefined : result;
}

function zodProblem(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return error.issues
    .map((issue) => `${issue.path.join(".") || "record"}: ${issue.message}`)
    .join("; ");
}

/**
 * Keys of device records that contain a push token: Netmera's `token` and `deviceToken`, and the
 * FCM, GCM and APNs names other exports use. Readers report only whether one was present.
 */
const TOKEN_KEYS = [
  "token",
  "deviceToken",
  "pushToken",
  "registrationId",
  "fcm",
  "fcmToken",
  "gcmToken",
  "apnsToken",
];

function hasTokenField(record: Record<string, unknown>): boolean {
  return TOKEN_KEYS.some((key) => text(record[key]) !== undefined);
}

/**
 * Return the reason for a record with a text value over the cell limit under one of `keys`, as
 * CSV and XLSX cells get it. Only the keys that rows are built from are checked.
 */
function longValue(
  record: Record<string, unknown>,
  keys: readonly string[],
  prefix = "",
): string | undefined {
  for (const key of keys) {
    const value = record[key];
    if (typeof value === "string" && value.length > MAX_CELL_CHARS) {
      return tooLongFieldProblem(prefix + key, value.length);
    }
  }
  return undefined;
}

const MEMBER_KEYS = ["externalId", "extId", "email", "msisdn"];
const DEVICE_KEYS = [
  "extId",
  "externalId",
  "installationId",
  "platform",
  "deviceModel",
  "model",
  "appVersion",
  "appV",
  "osVersion",
  "osV",
];

const IDENTIFIERS = ["extId", "email", "msisdn"];

/** An OS version such as `13` or `16.7.2`, as opposed to a platform name. */
const VERSION = /^\d+(\.\d+)*$/;

/**
 * Reject a membership table without a recognised identifier column. A header line that matches
 * nothing cannot be told apart from the first extId of a headerless list, so reading on would
 * turn an unknown layout into wrong memberships.
 */
function assertIdentifierColumn(file: string, headers: string[], meanings: string[]): void {
  if (meanings.some((meaning) => IDENTIFIERS.includes(meaning))) {
    return;
  }
  const accepted = IDENTIFIERS.map(
    (meaning) => `${meaning}: ${spellingsOf("members", meaning).join(", ")}`,
  ).join("; ");
  throw new SnapshotFileError(
    file,
    `line 1 has no identifier column (headers seen: ${headers.map((h) => JSON.stringify(h)).join(", ")}); ` +
      `add a header line with an extId column, or an email or MSISDN column. Accepted spellings ` +
      `(any case, spaces and punctuation ignored): ${accepted}`,
  );
}

/**
 * Stream a membership file (CSV, XLSX, JSON or NDJSON). A table needs a header line with an
 * extId, email or MSISDN column.
 */
export async function* readMembers(snapshot: Snapshot, file: string): AsyncGenerator<MemberRow> {
  if (JSON_EXTENSIONS.has(extname(file).toLowerCase())) {
    for await (const record of streamJsonRecords(snapshotPath(snapshot, file), file)) {
      const parsed = memberRecordSchema.safeParse(record.value);
      if (!parsed.success) {
        yield {
          file,
          line: record.line,
          problem: `invalid member record: ${zodProblem(parsed.error)}`,
        };
        continue;
      }
      const tooLong = longValue(parsed.data, MEMBER_KEYS);
      if (tooLong) {
        yield { file, line: record.line, problem: tooLong };
        continue;
      }
      yield {
        file,
        line: record.line,
        extId: extIdText(parsed.data.externalId ?? parsed.data.extId),
        email: text(parsed.data.email),
        msisdn: text(parsed.data.msisdn),
      };
    }
    return;
  }
  const table = await openSnapshotTable(snapshot, file, "members");
  const { meanings } = table.matched;
  assertIdentifierColumn(file, table.headers, meanings);
  const column = (meaning: string) => meanings.indexOf(meaning);
  const extIdAt = column("extId");
  const emailAt = column("email");
  const msisdnAt = column("msisdn");
  for await (const row of table.rows()) {
    const member: MemberRow = {
      file,
      line: row.line,
      extId: extIdAt >= 0 ? extIdText(row.cells[extIdAt]) : undefined,
      email: emailAt >= 0 ? text(row.cells[emailAt]) : undefined,
      msisdn: msisdnAt >= 0 ? text(row.cells[msisdnAt]) : undefined,
    };
    if (row.problem) {
      member.problem = row.problem;
    }
    yield member;
  }
}

/** Stream a device file (CSV, XLSX, JSON or NDJSON) without its push tokens. */
export async function* readDevices(snapshot: Snapshot, file: string): AsyncGenerator<DeviceRow> {
  if (JSON_EXTENSIONS.has(extname(file).toLowerCase())) {
    for await (const record of streamJsonRecords(snapshotPath(snapshot, file), file)) {
      const parsed = deviceRecordSchema.safeParse(record.value);
      if (!parsed.success) {
        yield {
          file,
          line: record.line,
          hasPushToken: false,
          problem: `invalid device record: ${zodProblem(parsed.error)}`,
        };
        continue;
      }
      const device = parsed.data;
      const tooLong = longValue(device, DEVICE_KEYS);
      if (tooLong) {
        yield { file, line: record.line, hasPushToken: false, problem: tooLong };
        continue;
      }
      yield {
        file,
        line: record.line,
        extId: extIdText(device.extId ?? device.externalId),
        installationId: text(device.installationId),
        platform: text(device.platform),
        model: text(device.deviceModel ?? device.model),
        appVersion: text(device.appVersion ?? device.appV),
        osVersion: text(device.osVersion ?? device.osV),
        hasPushToken: hasTokenField(device),
        pushPermitted: device.pushPermitted ?? undefined,
      };
    }
    return;
  }
  const table = await openSnapshotTable(snapshot, file, "devices");
  const at = (meaning: string) => table.matched.meanings.indexOf(meaning);
  const columns = {
    extId: at("extId"),
    installationId: at("installationId"),
    platform: at("platform"),
    model: at("deviceModel"),
    appVersion: at("appVersion"),
    osVersion: at("osVersion"),
    os: at("os"),
    tokens: table.matched.meanings.flatMap((meaning, index) =>
      meaning === PUSH_TOKEN_MEANING ? [index] : [],
    ),
    pushPermitted: at("pushPermitted"),
  };
  const cell = (cells: (string | undefined)[], index: number) =>
    index >= 0 ? text(cells[index]) : undefined;
  for await (const row of table.rows()) {
    const permitted = cell(row.cells, columns.pushPermitted)?.toLowerCase();
    // An "OS" column holds the platform in some exports and the OS version (13, 16.7) in
    // others; a version must not be written where the platform belongs.
    let os = cell(row.cells, columns.os);
    let osVersion = cell(row.cells, columns.osVersion);
    if (os !== undefined && VERSION.test(os)) {
      osVersion ??= os;
      os = undefined;
    }
    const device: DeviceRow = {
      file,
      line: row.line,
      extId: columns.extId >= 0 ? extIdText(row.cells[columns.extId]) : undefined,
      installationId: cell(row.cells, columns.installationId),
      platform: cell(row.cells, columns.platform),
      model: cell(row.cells, columns.model),
      appVersion: cell(row.cells, columns.appVersion),
      osVersion,
      os,
      hasPushToken: columns.tokens.some((index) => cell(row.cells, index) !== undefined),
      pushPermitted: permitted === undefined ? undefined : ["true", "1", "yes"].includes(permitted),
    };
    if (row.problem) {
      device.problem = row.problem;
    }
    yield device;
  }
}

/** One user of `profiles/*.ndjson`: getProfileAttributes' `{extId, profile}`, or an error. */
export interface ProfileRow {
  file: string;
  line: number;
  extId?: string;
  /** Attribute values as text, by attribute code; arrays and objects as JSON text. */
  values: Map<string, string>;
  /** Netmera's error for a user it returned no profile for. */
  error?: string;
  problem?: string;
}

function profileText(value: unknown): string | undefined {
  if (value === null || value === undefined) {
    return undefined;
  }
  if (typeof value === "object") {
    return JSON.stringify(value);
  }
  return text(value);
}

export async function* readProfiles(snapshot: Snapshot, file: string): AsyncGenerator<ProfileRow> {
  for await (const record of streamJsonRecords(snapshotPath(snapshot, file), file)) {
    const parsed = profileRecordSchema.safeParse(record.value);
    if (!parsed.success) {
      yield {
        file,
        line: record.line,
        values: new Map(),
        problem: `invalid profile record: ${zodProblem(parsed.error)}`,
      };
      continue;
    }
    const values = new Map<string, string>();
    let tooLong = longValue(parsed.data, ["extId"]);
    for (const [code, value] of Object.entries(parsed.data.profile ?? {})) {
      const cell = profileText(value);
      if (cell !== undefined) {
        if (cell.length > MAX_CELL_CHARS) {
          tooLong ??= tooLongFieldProblem(`profile.${code}`, cell.length);
        }
        values.set(code, cell);
      }
    }
    if (tooLong) {
      yield { file, line: record.line, values: new Map(), problem: tooLong };
      continue;
    }
    const row: ProfileRow = {
      file,
      line: record.line,
      extId: extIdText(parsed.data.extId),
      values,
    };
    if (parsed.data.error) {
      const { netmeraCode, message } = parsed.data.error;
      row.error = `${message ?? "no message"}${netmeraCode !== undefined ? ` (Netmera code ${netmeraCode})` : ""}`;
    }
    yield row;
  }
}

/** Installations of `user-devices/*.ndjson` (getDevices per user), without push tokens. */
export async function* readUserDevices(
  snapshot: Snapshot,
  file: string,
): AsyncGenerator<DeviceRow> {
  for await (const record of streamJsonRecords(snapshotPath(snapshot, file), file)) {
    const parsed = userDevicesRecordSchema.safeParse(record.value);
    if (!parsed.success) {
      yield {
        file,
        line: record.line,
        hasPushToken: false,
        problem: `invalid user devices record: ${zodProblem(parsed.error)}`,
      };
      continue;
    }
    const extId = text(parsed.data.extId);
    const longExtId = longValue(parsed.data, ["extId"]);
    for (const [index, device] of (parsed.data.devices ?? []).entries()) {
      const tooLong = longExtId ?? longValue(device, DEVICE_KEYS, `devices.${index}.`);
      if (tooLong) {
        yield { file, line: record.line, hasPushToken: false, problem: tooLong };
        continue;
      }
      yield {
        file,
        line: record.line,
        extId,
        installationId: text(device.installationId),
        platform: text(device.platform),
        model: text(device.deviceModel ?? device.model),
        appVersion: text(device.appVersion ?? device.appV),
        osVersion: text(device.osVersion ?? device.osV),
        hasPushToken: hasTokenField(device),
        pushPermitted: device.pushPermitted ?? undefined,
      };
    }
  }
}
