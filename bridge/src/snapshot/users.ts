import type { Logger } from "../core/log.js";
import { sha256OfText } from "../core/xml-id.js";
import { normalizeEmail } from "../normalize/email.js";
import { isPlaceholderExtId } from "../normalize/text.js";
import { meaningOfCode, PUSH_TOKEN_MEANING, type ColumnMeaning } from "./headers.js";
import {
  readDevices,
  readMembers,
  readProfiles,
  readUserDevices,
  type DeviceRow,
  type MemberRow,
} from "./records.js";
import type { ProfileAttribute } from "./schemas.js";
import {
  deviceFiles,
  membershipFiles,
  openSnapshotTable,
  profileFiles,
  userDeviceFiles,
  userFiles,
  type Snapshot,
} from "./snapshot.js";
import {
  SOURCE_DEVICE,
  SOURCE_MEMBER,
  SOURCE_USER,
  type Staging,
  type StagedGroup,
} from "./staging.js";

/** A row the loader could not use, for the quarantine file. */
export interface RowProblem {
  file: string;
  line: number;
  column: string;
  value: string;
  reason: string;
}

/** One column of a user export, as staged. */
export interface UserColumn {
  header: string;
  meaning: ColumnMeaning;
}

export interface StageHooks {
  onProblem(problem: RowProblem): void;
  /** Every value of every user column with its file, for per-file decisions (number formats). */
  onValue?(meaning: ColumnMeaning, value: string, file: string): void;
  onProgress?(rows: number): void;
}

export interface StageCounts {
  userRows: number;
  emptyUserRows: number;
  badUserRows: number;
  memberRows: number;
  badMemberRows: number;
  deviceRows: number;
  badDeviceRows: number;
  /** Columns of each user file, by file, for the mapping and for the report. */
  columns: Map<string, UserColumn[]>;
}

/** Key prefix of users without an extId; a NUL never occurs in an extId, so keys cannot clash. */
export const ANONYMOUS_PREFIX = "\u0000";

export function isAnonymousKey(key: string): boolean {
  return key.startsWith(ANONYMOUS_PREFIX);
}

const VALUES_KEY_PREFIX = `${ANONYMOUS_PREFIX}values:`;

/** True for the key of a user row without extId, e-mail or MSISDN (see valuesKey). */
export function isValuesKey(key: string): boolean {
  return key.startsWith(VALUES_KEY_PREFIX);
}

/**
 * Build the key of a user row without extId, e-mail or MSISDN from its values by column meaning.
 * A key from the row's place in the file changed when an export gained or lost a row above it,
 * and a re-sync then wrote one person's values over another person's contact. Rows with the same
 * values get the same key and become one contact, because no value distinguishes them.
 */
function valuesKey(cells: (string | undefined)[], columns: UserColumn[]): string {
  const pairs: string[] = [];
  for (let i = 0; i < cells.length; i += 1) {
    const value = cells[i];
    if (value !== undefined) {
      pairs.push(`${columns[i]?.meaning ?? ""}\u0000${value.trim()}`);
    }
  }
  pairs.sort();
  return VALUES_KEY_PREFIX + sha256OfText(pairs.join("\u0001")).slice(0, 32);
}

function emailIdent(email: string): string {
  return `email:${email.trim().toLowerCase()}`;
}

/**
 * Identity key of an MSISDN for joining files: digits only, without an international 00,
 * and with a Turkish trunk 0 or a bare 10-digit number read as +90. This is a join key, not
 * the phone number the plan writes (that one goes through libphonenumber).
 */
export function msisdnIdent(msisdn: string): string {
  let digits = msisdn.replace(/\D/g, "");
  if (digits.startsWith("00")) {
    digits = digits.slice(2);
  } else if (digits.startsWith("0")) {
    digits = `90${digits.slice(1)}`;
  } else if (digits.length === 10 && digits.startsWith("5")) {
    digits = `90${digits}`;
  }
  return `msisdn:${digits}`;
}

/** Key of a user without an extId: its email, else its MSISDN, else a hash of its values. */
function anonymousKey(
  email: string | undefined,
  msisdn: string | undefined,
  values: () => string,
): string {
  if (email) {
    return ANONYMOUS_PREFIX + emailIdent(email);
  }
  if (msisdn) {
    return ANONYMOUS_PREFIX + msisdnIdent(msisdn);
  }
  return values();
}

/** Shortest push token: APNs device tokens are 64 hex digits, FCM tokens longer. */
const PUSH_TOKEN_MIN_LENGTH = 64;
const APNS_TOKEN = /^[0-9a-fA-F]{64}$/;
/** FCM and GCM registration tokens: an instance id, ":APA91b", then the token. */
const FCM_TOKEN = /^[\w-]{6,}:APA91b[\w-]{20,}$/;

/**
 * True for a value shaped like a push token, whatever its column is called: such values are
 * left out of the plan so that a token under an unexpected header still stays in the snapshot.
 */
export function looksLikePushToken(value: string): boolean {
  const text = value.trim();
  return APNS_TOKEN.test(text) || FCM_TOKEN.test(text);
}

function pushTokenDropped(file: string, line: number, column: string): RowProblem {
  // The value itself is a secret, so the quarantine row names only where it was.
  return {
    file,
    line,
    column,
    value: "",
    reason:
      "value dropped: shaped like a push token (FCM or APNs), which never leaves the snapshot",
  };
}

const UNIT_SEPARATOR = "\u001f";
const JSON_MARK = "\u0000";

/**
 * Cells of a user row as staged text: joined by the ASCII unit separator, which is much
 * cheaper to split than JSON is to parse. A row whose cells contain that character (never seen
 * in exports, but possible) is stored as JSON behind a NUL mark. An empty cell and a cell
 * without a value both read back as no value.
 */
export function encodeCells(cells: (string | undefined)[]): string {
  for (const cell of cells) {
    if (cell !== undefined && (cell.includes(UNIT_SEPARATOR) || cell.includes(JSON_MARK))) {
      return JSON_MARK + JSON.stringify(cells);
    }
  }
  return cells.map((cell) => cell ?? "").join(UNIT_SEPARATOR);
}

export function decodeCells(text: string): (string | null)[] {
  if (text.startsWith(JSON_MARK)) {
    return JSON.parse(text.slice(1)) as (string | null)[];
  }
  return text.split(UNIT_SEPARATOR).map((cell) => (cell === "" ? null : cell));
}

/**
 * True for a row whose cells are the header names again. The key column is compared first, so
 * other rows cost one comparison.
 */
function repeatsHeader(cells: (string | undefined)[], headers: string[], keyAt: number): boolean {
  if (cells[keyAt]?.trim() !== headers[keyAt]?.trim()) {
    return false;
  }
  return headers.every((header, index) => (cells[index]?.trim() ?? "") === header.trim());
}

function rowText(cells: (string | undefined)[]): string {
  return cells.map((cell) => cell ?? "").join(" | ");
}

/**
 * Load every user export, membership file and device file of the snapshot into staging, keyed
 * by extId. The extId is kept exactly as written, only trimmed, because case and every
 * character count. Members and devices without an extId are joined through the email or MSISDN
 * of a user row when one matches, and otherwise stay users of their own.
 */
export async function stageSnapshot(
  snapshot: Snapshot,
  staging: Staging,
  attributes: ProfileAttribute[],
  hooks: StageHooks,
  logger: Logger,
): Promise<StageCounts> {
  const counts: StageCounts = {
    userRows: 0,
    emptyUserRows: 0,
    badUserRows: 0,
    memberRows: 0,
    badMemberRows: 0,
    deviceRows: 0,
    badDeviceRows: 0,
    columns: new Map(),
  };
  // Memberships and devices first: rows with an extId are staged at once, and the few without
  // one wait for the users, whose e-mail and MSISDN identities are recorded only if needed.
  for (const membership of membershipFiles(snapshot)) {
    const fileId = staging.addFile(membership.file, { kind: membership.kind, ref: membership.ref });
    for await (const member of readMembers(snapshot, membership.file)) {
      stageMember(staging, fileId, member, membership.kind, membership.ref, counts, hooks);
    }
  }
  for (const file of deviceFiles(snapshot)) {
    const fileId = staging.addFile(file, { kind: "devices" });
    for await (const device of readDevices(snapshot, file)) {
      stageDevice(staging, fileId, device, counts, hooks);
    }
  }
  for (const file of userDeviceFiles(snapshot)) {
    const fileId = staging.addFile(file, { kind: "devices" });
    for await (const device of readUserDevices(snapshot, file)) {
      stageDevice(staging, fileId, device, counts, hooks);
    }
  }
  const identities = staging.pendingCount > 0;

  // Profiles from the REST API come first, so their values win over panel exports.
  for (const file of profileFiles(snapshot)) {
    await stageProfileFile(snapshot, staging, file, counts, hooks, identities);
  }
  for (const file of userFiles(snapshot)) {
    const [rowsBefore, badBefore] = [counts.userRows, counts.badUserRows];
    await stageUserFile(snapshot, staging, attributes, file, counts, hooks, identities);
    const rows = counts.userRows - rowsBefore;
    if (rows > 0 && counts.badUserRows - badBefore === rows) {
      // Each rejected row is in quarantine.csv, but a file that lost every row is rather a
      // file read the wrong way (a delimiter that differs between header and rows, say).
      logger.warn(
        { file, rows },
        `every row of ${file} was rejected, so it adds no user; quarantine.csv gives the reason of each`,
      );
    }
  }
  if (identities) {
    resolvePending(staging);
  }
  logger.info(
    { userRows: counts.userRows, memberRows: counts.memberRows, deviceRows: counts.deviceRows },
    "snapshot staged",
  );
  return counts;
}

async function stageUserFile(
  snapshot: Snapshot,
  staging: Staging,
  attributes: ProfileAttribute[],
  file: string,
  counts: StageCounts,
  hooks: StageHooks,
  identities: boolean,
): Promise<void> {
  const table = await openSnapshotTable(snapshot, file, "users", attributes);
  const { meanings } = table.matched;
  const columns = table.headers.map((header, index) => ({
    header,
    meaning: meanings[index] ?? `column:${header}`,
  }));
  counts.columns.set(file, columns);
  const fileId = staging.addFile(file, { kind: "users", columns });
  const extIdAt = meanings.indexOf("extId");
  const emailAt = meanings.indexOf("email");
  const msisdnAt = meanings.indexOf("msisdn");
  // Push tokens never leave the snapshot, so they are not even staged. A file may hold several
  // (FCM and APNs tokens side by side).
  const tokenColumns = meanings.flatMap((meaning, index) =>
    meaning === PUSH_TOKEN_MEANING ? [index] : [],
  );
  for await (const batch of table.rowBatches()) {
    for (const row of batch) {
      counts.userRows += 1;
      if (counts.userRows % 50_000 === 0) {
        hooks.onProgress?.(counts.userRows);
      }
      for (const index of tokenColumns) {
        row.cells[index] = undefined;
      }
      if (row.problem) {
        counts.badUserRows += 1;
        const long = row.tooLong?.column ?? -1;
        hooks.onProblem({
          file,
          line: row.line,
          column: long >= 0 ? (columns[long]?.header ?? "") : "",
          // A misaligned row could hold a push token in any cell, so its text stays out. The
          // reader has cut an over-long cell to its first characters.
          value: tokenColumns.length > 0 ? "" : rowText(row.cells),
          reason: `row rejected: ${row.problem}`,
        });
        continue;
      }
      if (row.cells.every((cell) => cell === undefined)) {
        counts.emptyUserRows += 1;
        continue;
      }
      if (repeatsHeader(row.cells, table.headers, Math.max(extIdAt, 0))) {
        counts.badUserRows += 1;
        hooks.onProblem({
          file,
          line: row.line,
          column: "",
          value: tokenColumns.length > 0 ? "" : rowText(row.cells),
          reason:
            "row rejected: it repeats the header line, as when two exports are joined into one file",
        });
        continue;
      }
      let extId = extIdAt >= 0 ? row.cells[extIdAt]?.trim() : undefined;
      if (extId && isPlaceholderExtId(extId)) {
        hooks.onProblem({
          file,
          line: row.line,
          column: columns[extIdAt]?.header ?? "",
          value: extId,
          reason:
            `value dropped: "${extId}" stands for a missing extId, so the row is read as a ` +
            "user without extId and joined by its e-mail or MSISDN",
        });
        extId = undefined;
      }
      const email = emailAt >= 0 ? row.cells[emailAt]?.trim() : undefined;
      const msisdn = msisdnAt >= 0 ? row.cells[msisdnAt]?.trim() : undefined;
      if (extId && identities) {
        if (email) staging.addIdentity(emailIdent(email), extId);
        if (msisdn) staging.addIdentity(msisdnIdent(msisdn), extId);
      }
      for (let i = 0; i < row.cells.length; i += 1) {
        const value = row.cells[i];
        if (value === undefined) {
          continue;
        }
        if (value.length >= PUSH_TOKEN_MIN_LENGTH && looksLikePushToken(value)) {
          row.cells[i] = undefined;
          hooks.onProblem(pushTokenDropped(file, row.line, columns[i]?.header ?? ""));
          continue;
        }
        hooks.onValue?.(columns[i]?.meaning ?? "", value, file);
      }
      // After the push tokens are dropped, so that a new token does not make a new key.
      const key = extId || anonymousKey(email, msisdn, () => valuesKey(row.cells, columns));
      staging.add(key, SOURCE_USER, fileId, row.line, encodeCells(row.cells));
    }
  }
}

/**
 * Stage `profiles/*.ndjson`: each line is one user row whose columns are attribute codes. The
 * columns grow as new codes appear, so the file's column list is stored after reading it.
 */
async function stageProfileFile(
  snapshot: Snapshot,
  staging: Staging,
  file: string,
  counts: StageCounts,
  hooks: StageHooks,
  identities: boolean,
): Promise<void> {
  const columns: UserColumn[] = [];
  const positions = new Map<string, number>();
  const fileId = staging.addFile(file, { kind: "users", columns });
  for await (const profile of readProfiles(snapshot, file)) {
    counts.userRows += 1;
    if (counts.userRows % 50_000 === 0) {
      hooks.onProgress?.(counts.userRows);
    }
    if (profile.problem || !profile.extId) {
      counts.badUserRows += 1;
      hooks.onProblem({
        file,
        line: profile.line,
        column: "extId",
        value: "",
        reason: `row rejected: ${profile.problem ?? "the profile has no extId"}`,
      });
      continue;
    }
    if (profile.error) {
      hooks.onProblem({
        file,
        line: profile.line,
        column: "profile",
        value: "",
        reason: `value dropped: Netmera returned no profile: ${profile.error}; the contact is planned from the other files`,
      });
    }
    const cells: (string | undefined)[] = new Array<string | undefined>(columns.length);
    for (const [code, value] of profile.values) {
      if (meaningOfCode(code) === PUSH_TOKEN_MEANING) {
        continue;
      }
      if (value.length >= PUSH_TOKEN_MIN_LENGTH && looksLikePushToken(value)) {
        hooks.onProblem(pushTokenDropped(file, profile.line, code));
        continue;
      }
      let position = positions.get(code);
      if (position === undefined) {
        position = columns.length;
        positions.set(code, position);
        columns.push({ header: code, meaning: meaningOfCode(code) });
      }
      cells[position] = value;
      hooks.onValue?.(columns[position]?.meaning ?? "", value, file);
    }
    const key = profile.extId;
    const email = profile.values.get("email");
    const msisdn = profile.values.get("msisdn");
    if (identities && email) staging.addIdentity(emailIdent(email), key);
    if (identities && msisdn) staging.addIdentity(msisdnIdent(msisdn), key);
    staging.add(key, SOURCE_USER, fileId, profile.line, encodeCells(cells));
  }
  counts.columns.set(file, columns);
  staging.updateFile(fileId, { kind: "users", columns });
}

/** Stage the rows that had no extId, joined to a user through its e-mail or MSISDN if one matches. */
function resolvePending(staging: Staging): void {
  staging.indexIdentities();
  for (const row of staging.pending()) {
    const known =
      (row.email ? staging.lookupIdentity(row.email) : undefined) ??
      (row.msisdn ? staging.lookupIdentity(row.msisdn) : undefined);
    const key = known ?? ANONYMOUS_PREFIX + (row.email ?? row.msisdn ?? "");
    staging.add(key, row.source, row.fileId, row.line, row.data);
  }
}

function stageMember(
  staging: Staging,
  fileId: number,
  member: MemberRow,
  kind: "segment" | "tag",
  ref: string,
  counts: StageCounts,
  hooks: StageHooks,
): void {
  counts.memberRows += 1;
  if (member.problem) {
    counts.badMemberRows += 1;
    hooks.onProblem({
      file: member.file,
      line: member.line,
      column: "",
      value: "",
      reason: `membership not linked: ${member.problem}`,
    });
    return;
  }
  if (!member.extId && !member.email && !member.msisdn) {
    counts.badMemberRows += 1;
    hooks.onProblem({
      file: member.file,
      line: member.line,
      column: "",
      value: "",
      reason: "membership not linked: the row has no extId, email or MSISDN",
    });
    return;
  }
  if (!member.extId && !member.msisdn && member.email && !normalizeEmail(member.email).ok) {
    // Joined by nothing, the row would become a contact of its own with no identity at all.
    counts.badMemberRows += 1;
    hooks.onProblem({
      file: member.file,
      line: member.line,
      column: "email",
      value: member.email,
      reason: "membership not linked: not an e-mail address, and the row has no extId or MSISDN",
    });
    return;
  }
  const data: StagedMember = [
    kind === "segment" ? 0 : 1,
    ref,
    member.email ?? null,
    member.msisdn ?? null,
  ];
  if (member.extId) {
    staging.add(member.extId, SOURCE_MEMBER, fileId, member.line, JSON.stringify(data));
    return;
  }
  staging.addPending(
    member.email ? emailIdent(member.email) : undefined,
    member.msisdn ? msisdnIdent(member.msisdn) : undefined,
    SOURCE_MEMBER,
    fileId,
    member.line,
    JSON.stringify(data),
  );
}

function stageDevice(
  staging: Staging,
  fileId: number,
  device: DeviceRow,
  counts: StageCounts,
  hooks: StageHooks,
): void {
  counts.deviceRows += 1;
  if (device.problem) {
    counts.badDeviceRows += 1;
    hooks.onProblem({
      file: device.file,
      line: device.line,
      column: "",
      value: "",
      reason: `device not linked: ${device.problem}`,
    });
    return;
  }
  const key =
    device.extId ??
    (device.installationId
      ? `${ANONYMOUS_PREFIX}installation:${device.installationId}`
      : undefined);
  if (!key) {
    counts.badDeviceRows += 1;
    hooks.onProblem({
      file: device.file,
      line: device.line,
      column: "",
      value: "",
      reason: "device not linked: the row has neither an extId nor an installation id",
    });
    return;
  }
  const data: StagedDevice = [
    device.installationId ?? null,
    device.platform ?? null,
    device.model ?? null,
    device.appVersion ?? null,
    device.osVersion ?? null,
    device.os ?? null,
    device.pushPermitted ?? null,
  ];
  staging.add(key, SOURCE_DEVICE, fileId, device.line, JSON.stringify(data));
}

type StagedMember = [kind: 0 | 1, ref: string, email: string | null, msisdn: string | null];
type StagedDevice = [
  installationId: string | null,
  platform: string | null,
  model: string | null,
  appVersion: string | null,
  osVersion: string | null,
  os: string | null,
  pushPermitted: boolean | null,
];

/** A value of a merged user with the place it came from. */
export interface SourcedValue {
  value: string;
  file: string;
  line: number;
  column: string;
}

export interface MergeConflict {
  meaning: ColumnMeaning;
  kept: SourcedValue;
  other: SourcedValue;
}

export interface DeviceInfo {
  installationId?: string;
  platform?: string;
  model?: string;
  appVersion?: string;
  osVersion?: string;
  os?: string;
  pushPermitted?: boolean;
  /** Snapshot file and line that list the installation. */
  file: string;
  line: number;
}

/** One user with every row of every file that carries its key. */
export interface MergedUser {
  key: string;
  /** The extId exactly as exported; undefined for anonymous users. */
  extId: string | undefined;
  values: Map<ColumnMeaning, SourcedValue>;
  /** First user row (file order, then line order), or the first membership/device row. */
  source: { file: string; line: number };
  userRows: number;
  conflicts: MergeConflict[];
  segments: string[];
  tags: string[];
  devices: DeviceInfo[];
}

function sameValue(meaning: ColumnMeaning, a: string, b: string): boolean {
  const left = a.trim();
  const right = b.trim();
  return meaning === "email" ? left.toLowerCase() === right.toLowerCase() : left === right;
}

/**
 * Merge the staged rows of one key. The first file (in sorted file order) wins a value that
 * two rows disagree on; the disagreement is returned with both values and their places.
 */
export function mergeGroup(
  group: StagedGroup,
  files: Map<number, { path: string; meta: unknown }>,
): MergedUser {
  const user: MergedUser = {
    key: group.key,
    extId: isAnonymousKey(group.key) ? undefined : group.key,
    values: new Map(),
    source: { file: "", line: 0 },
    userRows: 0,
    conflicts: [],
    segments: [],
    tags: [],
    devices: [],
  };
  for (const row of group.rows) {
    const file = files.get(row.fileId);
    const path = file?.path ?? "";
    if (!user.source.file) {
      user.source = { file: path, line: row.line };
    }
    if (row.source === SOURCE_USER) {
      user.userRows += 1;
      const columns = (file?.meta as { columns: UserColumn[] }).columns;
      const cells = decodeCells(row.data);
      for (let i = 0; i < cells.length; i += 1) {
        const value = cells[i];
        const column = columns[i];
        if (value === null || value === undefined || !column) {
          continue;
        }
        const sourced: SourcedValue = { value, file: path, line: row.line, column: column.header };
        const existing = user.values.get(column.meaning);
        if (!existing) {
          user.values.set(column.meaning, sourced);
        } else if (!sameValue(column.meaning, existing.value, value)) {
          user.conflicts.push({ meaning: column.meaning, kept: existing, other: sourced });
        }
      }
    } else if (row.source === SOURCE_MEMBER) {
      const [kind, ref, email, msisdn] = JSON.parse(row.data) as StagedMember;
      const list = kind === 0 ? user.segments : user.tags;
      if (!list.includes(ref)) {
        list.push(ref);
      }
      // A membership export fills identities the user rows lack; it never overrides them.
      if (email && !user.values.has("email")) {
        user.values.set("email", { value: email, file: path, line: row.line, column: "email" });
      }
      if (msisdn && !user.values.has("msisdn")) {
        user.values.set("msisdn", { value: msisdn, file: path, line: row.line, column: "msisdn" });
      }
    } else if (row.source === SOURCE_DEVICE) {
      const [installationId, platform, model, appVersion, osVersion, os, pushPermitted] =
        JSON.parse(row.data) as StagedDevice;
      user.devices.push({
        installationId: installationId ?? undefined,
        platform: platform ?? undefined,
        model: model ?? undefined,
        appVersion: appVersion ?? undefined,
        osVersion: osVersion ?? undefined,
        os: os ?? undefined,
        pushPermitted: pushPermitted ?? undefined,
        file: path,
        line: row.line,
      });
    }
  }
  return user;
}
