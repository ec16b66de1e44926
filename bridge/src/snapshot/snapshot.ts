import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, extname, join, posix } from "node:path";
import type { z } from "zod";
import { ConfigError, SnapshotFileError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { DEFAULT_SOURCE_TIME_ZONE } from "../normalize/dates.js";
import { unreadFileReason } from "../mapping/propose-files.js";
import { STATE_DIR } from "../netmera/journal.js";
import { listSnapshotFiles, MANIFEST_PENDING } from "../netmera/snapshot-files.js";
import { matchHeaders, type MatchedHeaders, type TableKind } from "./headers.js";
import {
  hashSnapshotFiles,
  readManifest,
  snapshotHashOf,
  verifyManifest,
  type Manifest,
} from "./manifest.js";
import {
  describeSchemaIssues,
  eventDefinitionsFileSchema,
  profileAttributesFileSchema,
  segmentsFileSchema,
  type EventDefinition,
  type ProfileAttribute,
  type Segment,
} from "./schemas.js";
import { ENCODING_CHOICES, parseEncodingName, stateEncoding } from "./encoding.js";
import { parseJsonText } from "./json-stream.js";
import { openTable, type Table } from "./table.js";

const TABLE_EXTENSIONS = new Set([".csv", ".txt", ".tsv", ".xlsx"]);
const RECORD_EXTENSIONS = new Set([".csv", ".txt", ".tsv", ".xlsx", ".json", ".ndjson", ".jsonl"]);
const JSON_RECORD_EXTENSIONS = new Set([".json", ".ndjson", ".jsonl"]);

/** A membership file: `segment-users/<id>.csv|json` or `tags/<tag>.csv`, or parts in a folder. */
export interface MembershipFile {
  kind: "segment" | "tag";
  /** Segment id or tag name, from the file or folder name. */
  ref: string;
  file: string;
}

export interface OpenedTable extends Table {
  matched: MatchedHeaders;
}

export interface Snapshot {
  root: string;
  manifest: Manifest | undefined;
  /** Identity of the snapshot's content; the mapping confirmation stores it. */
  hash: string;
  sourceTimeZone: string;
  app: string | undefined;
  /** Every file, relative to the root with `/`, sorted. */
  files: string[];
  logger: Logger;
}

export interface OpenSnapshotOptions {
  logger: Logger;
  /** Check every file against the manifest (default true). */
  verify?: boolean;
}

/**
 * Open a snapshot folder. With a manifest, every file's sha256 is checked, and a changed, added
 * or removed file raises `SnapshotTamperedError`. Without one, the files are hashed so that the
 * snapshot still has a hash.
 */
export async function openSnapshot(root: string, options: OpenSnapshotOptions): Promise<Snapshot> {
  const { logger } = options;
  await assertSnapshotFolder(root);
  const manifest = await readManifest(root);
  let hash: string;
  let files: string[];
  if (manifest) {
    if (options.verify !== false) {
      await verifyManifest(root, manifest, logger);
    }
    hash = snapshotHashOf(manifest.files);
    files = Object.keys(manifest.files).sort();
    assertReadableFiles(root, files);
  } else {
    assertPullFinished(root);
    // Checked before hashing, which would read every file of a wrong folder first.
    files = await listSnapshotFiles(root);
    assertReadableFiles(root, files);
    logger.warn({ root }, "snapshot has no manifest.json; hashing its files instead");
    hash = snapshotHashOf(await hashSnapshotFiles(root));
  }
  return {
    root,
    manifest,
    hash,
    sourceTimeZone: manifest?.sourceTimeZone ?? DEFAULT_SOURCE_TIME_ZONE,
    app: manifest?.app,
    files,
    logger,
  };
}

/**
 * Reject a folder in which no reader takes any file: an empty folder, or the folder above a
 * snapshot. Read as a snapshot, it would plan nothing and report success.
 */
function assertReadableFiles(root: string, files: string[]): void {
  if (files.some((file) => unreadFileReason(file) === undefined)) {
    return;
  }
  if (files.length === 0) {
    throw new ConfigError(
      `snapshot folder ${root} contains no files; pass the folder that pull wrote, with users/, events/ and manifest.json`,
    );
  }
  const folders = new Set(files.map((file) => file.split("/")[0]));
  const [only] = folders;
  const below =
    folders.size === 1 && only !== undefined && files.every((file) => file.includes("/"))
      ? files.map((file) => file.slice(only.length + 1))
      : [];
  if (below.some((file) => unreadFileReason(file) === undefined)) {
    throw new ConfigError(
      `snapshot folder ${root} has its files one folder down, in ${only}/; pass ${join(root, only as string)}`,
    );
  }
  throw new ConfigError(
    `snapshot folder ${root} contains no file that netmera-odoo reads (users/, profiles/, tags/, ` +
      "devices/, events/, segments.json …); is it the snapshot folder?",
  );
}

/**
 * Reject the folder of a pull that stopped before it finished. pull writes manifest.json last,
 * so such a folder lacks files the snapshot should have, and reading it as a snapshot would
 * plan a migration with users, devices or events missing.
 */
function assertPullFinished(root: string): void {
  const journal = existsSync(join(root, STATE_DIR));
  if (journal || existsSync(join(root, MANIFEST_PENDING))) {
    throw new ConfigError(
      `${root} is an unfinished pull (${journal ? `${STATE_DIR}/` : MANIFEST_PENDING} is there ` +
        "and manifest.json is not); run the same pull command again to finish it",
    );
  }
}

/** Reject a snapshot path that does not exist or is not a folder, in one line without a stack. */
export async function assertSnapshotFolder(root: string): Promise<void> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(root)).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") {
      throw new ConfigError(`snapshot folder ${root} does not exist`, { cause: error });
    }
    throw new ConfigError(`snapshot folder ${root} cannot be read (${code ?? "error"})`, {
      cause: error,
    });
  }
  if (!isFolder) {
    throw new ConfigError(
      `snapshot ${root} is a file, not a folder; unzip it or pass the folder that holds manifest.json`,
    );
  }
}

/**
 * Parse `--encoding FILE=ENCODING` values into a map from snapshot path to encoding name. The
 * last `=` splits, because a snapshot path may contain one.
 */
export function parseEncodingOptions(values: string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const value of values) {
    const split = value.lastIndexOf("=");
    if (split <= 0 || split === value.length - 1) {
      throw new ConfigError(
        `--encoding "${value}" is invalid; write it as FILE=ENCODING, for example users/t.csv=latin1`,
      );
    }
    // Snapshot paths use forward slashes and no leading "./", whatever the shell completed.
    const file = posix.normalize(value.slice(0, split).replace(/\\/g, "/"));
    result[file] = value.slice(split + 1);
  }
  return result;
}

/**
 * Read each named file of the snapshot in the stated encoding, and the others as detected. A
 * path that is not a file of the snapshot or an unknown encoding name is an error, so that a
 * typo is not ignored.
 */
export function stateEncodings(snapshot: Snapshot, encodings: Record<string, string>): void {
  // A long-running server plans one snapshot with several mappings, so earlier statements for
  // this snapshot's files are dropped first.
  for (const file of snapshot.files) {
    stateEncoding(snapshotPath(snapshot, file), undefined);
  }
  for (const [file, name] of Object.entries(encodings)) {
    if (!snapshot.files.includes(file)) {
      const text = snapshot.files.filter((candidate) => /\.(csv|tsv|txt)$/i.test(candidate));
      const listed = text.length > 10 ? [...text.slice(0, 10), "…"] : text;
      throw new ConfigError(
        `an encoding is stated for ${file} (by --encoding or by options.encoding in ` +
          `mapping.json), which is not a file of snapshot ${snapshot.root}; give a path ` +
          "relative to the snapshot folder" +
          (listed.length > 0 ? `, one of: ${listed.join(", ")}` : ", but it has no text files"),
      );
    }
    if (/\.(json|ndjson)$/i.test(file)) {
      throw new ConfigError(
        `an encoding is stated for ${file} (by --encoding or by options.encoding in ` +
          "mapping.json), but JSON files are always read as UTF-8; convert the file to UTF-8 " +
          "instead, and state encodings only for CSV files",
      );
    }
    const encoding = parseEncodingName(name);
    if (!encoding) {
      throw new ConfigError(
        `--encoding ${file}=${name}: unknown encoding "${name}"; use one of ${ENCODING_CHOICES.join(", ")}`,
      );
    }
    stateEncoding(snapshotPath(snapshot, file), encoding);
  }
}

/** Hash of a snapshot folder, as `openSnapshot` computes it, without checking the manifest. */
export async function computeSnapshotHash(root: string, logger: Logger): Promise<string> {
  return (await openSnapshot(root, { logger, verify: false })).hash;
}

/**
 * First part of a snapshot path in lower case, or undefined for a top-level file. Folder names
 * are matched without case, so that `Users/a.csv` from a case-insensitive file system is read
 * like `users/a.csv`.
 */
export function folderOf(file: string): string | undefined {
  const slash = file.indexOf("/");
  return slash < 0 ? undefined : file.slice(0, slash).toLowerCase();
}

/** Files directly or deeper under `folder` (any letter case) whose extension is in `extensions`. */
export function inFolder(files: string[], folder: string, extensions: Set<string>): string[] {
  return files.filter(
    (file) => folderOf(file) === folder && extensions.has(extname(file).toLowerCase()),
  );
}

function stem(file: string): string {
  return basename(file, extname(file));
}

export function userFiles(snapshot: Snapshot): string[] {
  return inFolder(snapshot.files, "users", TABLE_EXTENSIONS);
}

/** `profiles/part-NNNNN.ndjson`: `{extId, profile}` per user, as pull writes them. */
export function profileFiles(snapshot: Snapshot): string[] {
  return inFolder(snapshot.files, "profiles", JSON_RECORD_EXTENSIONS);
}

/** `user-devices/part-NNNNN.ndjson`: `{extId, devices: [...]}` per user, as pull writes them. */
export function userDeviceFiles(snapshot: Snapshot): string[] {
  return inFolder(snapshot.files, "user-devices", JSON_RECORD_EXTENSIONS);
}

/**
 * Membership files: `segment-users/<id>.<ext>` and `tags/<tag>.<ext>`, or a folder
 * `segment-users/<id>/` of parts.
 */
export function membershipFiles(snapshot: Snapshot): MembershipFile[] {
  const result: MembershipFile[] = [];
  for (const [folder, kind] of [
    ["segment-users", "segment"],
    ["tags", "tag"],
  ] as const) {
    for (const file of inFolder(snapshot.files, folder, RECORD_EXTENSIONS)) {
      const parts = file.split("/");
      // macOS writes file names decomposed (NFD); the tag "müşteri" must be one tag either way.
      const ref = (parts.length > 2 ? (parts[1] ?? "") : stem(file)).normalize("NFC").trim();
      if (!ref) {
        throw new SnapshotFileError(
          file,
          `names no ${kind}: the name is blank; rename it after the ${kind} it lists`,
        );
      }
      result.push({ kind, ref, file });
    }
  }
  return result;
}

/** `devices.csv|json` at the root, or parts under `devices/`. */
export function deviceFiles(snapshot: Snapshot): string[] {
  const top = snapshot.files.filter(
    (file) =>
      stem(file).toLowerCase() === "devices" &&
      !file.includes("/") &&
      RECORD_EXTENSIONS.has(extname(file).toLowerCase()),
  );
  return [...top, ...inFolder(snapshot.files, "devices", RECORD_EXTENSIONS)];
}

/** Find a top-level table such as `owners.csv` or `companies.xlsx`, if the snapshot has one. */
export function topLevelTable(snapshot: Snapshot, name: string): string | undefined {
  return snapshot.files.find(
    (file) =>
      !file.includes("/") &&
      stem(file).toLowerCase() === name &&
      TABLE_EXTENSIONS.has(extname(file).toLowerCase()),
  );
}

export function snapshotPath(snapshot: Snapshot, file: string): string {
  return join(snapshot.root, file);
}

/**
 * Reject a users file that has no extId, email or MSISDN column: each of its rows would become
 * an anonymous user tied to nothing. Without an extId column the rows are anonymous users keyed
 * by email or MSISDN, which is worth a warning.
 */
function checkUserIdentity(
  headers: string[],
  matched: MatchedHeaders,
  file: string,
  logger: Logger,
): void {
  const has = (meaning: string) => matched.meanings.includes(meaning);
  if (has("extId")) {
    return;
  }

  const listed = headers.map((header) => JSON.stringify(header)).join(", ");
  if (!has("email") && !has("msisdn")) {
    throw new SnapshotFileError(
      file,
      `no column is an extId, email or MSISDN, so no row can be tied to a user; headers: ` +
        `${listed}. Rename the user ID column to "External ID" (also read: extId, externalId, ` +
        `User ID, Kullanıcı ID, Harici ID) and run again`,
    );
  }
  logger.warn(
    { file, headers },
    `${file} has no extId column (headers: ${listed}), so its rows become anonymous users ` +
      'keyed by email or MSISDN; rename the user ID column to "External ID" if it has one',
  );
}

/** Open a table and match its headers by meaning for the given kind of file. */
export async function openSnapshotTable(
  snapshot: Snapshot,
  file: string,
  kind: TableKind,
  attributes: ProfileAttribute[] = [],
): Promise<OpenedTable> {
  const table = await openTable(snapshotPath(snapshot, file), file, snapshot.logger);
  const matched = matchHeaders(table.headers, kind, attributes, file);
  if (kind === "users") {
    checkUserIdentity(table.headers, matched, file, snapshot.logger);
  }
  if (matched.unknown.length > 0) {
    snapshot.logger.debug({ file, unknown: matched.unknown }, "headers without a known meaning");
  }
  return Object.assign(table, { matched });
}

/** Read a small JSON file whole and validate it, collecting every issue into one error. */
export async function readJsonFile<S extends z.ZodType>(
  snapshot: Snapshot,
  file: string,
  schema: S,
): Promise<z.output<S> | undefined> {
  if (!snapshot.files.includes(file)) {
    return undefined;
  }
  const text = await readFile(snapshotPath(snapshot, file), "utf8");
  const json = parseJsonText(text, file);
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issues = describeSchemaIssues(
      text.replace(/^\ufeff/, ""),
      json,
      parsed.error.issues.slice(0, 20),
    );
    throw new SnapshotFileError(file, `does not match the expected format: ${issues}`);
  }
  return parsed.data;
}

export const PROFILE_ATTRIBUTES_FILE = "profile-attributes.json";

/**
 * Warning for a snapshot without profile-attributes.json, or undefined when it has one.
 * Without the definitions only header meanings are known, so map and audit print it.
 */
export function missingDefinitionsWarning(snapshot: Snapshot): string | undefined {
  const warnings: string[] = [];
  if (!snapshot.files.includes(PROFILE_ATTRIBUTES_FILE)) {
    warnings.push(
      `warning: ${join(snapshot.root, PROFILE_ATTRIBUTES_FILE)} is missing; columns are mapped ` +
        "by header meaning only (Email, Name, MSISDN …), and custom columns get low confidence " +
        "and review marks. Pull again or copy the file from GET /rest/3.0/app/profile-attributes",
    );
  }
  const segments = membershipFiles(snapshot).filter((file) => file.kind === "segment");
  if (segments.length > 0 && !snapshot.files.includes(SEGMENTS_FILE)) {
    const ids = segments.map((file) => file.ref);
    warnings.push(
      `warning: ${join(snapshot.root, SEGMENTS_FILE)} is missing, so the ${ids.length} ` +
        `segment(s) of segment-users/ (${ids.slice(0, 5).join(", ")}${ids.length > 5 ? " …" : ""}) ` +
        "get placeholder names (Segment <id>) as tags and stages. Pull again or copy the file " +
        "into the snapshot",
    );
  }
  return warnings.length > 0 ? warnings.join("\n") : undefined;
}

/** Standard and custom profile attribute definitions; empty when the file is missing. */
export async function readProfileAttributes(snapshot: Snapshot): Promise<ProfileAttribute[]> {
  const file = await readJsonFile(snapshot, PROFILE_ATTRIBUTES_FILE, profileAttributesFileSchema);
  return file ? [...file.standardProfileAttributes, ...file.customProfileAttributes] : [];
}

export async function readEventDefinitions(snapshot: Snapshot): Promise<EventDefinition[]> {
  const file = await readJsonFile(snapshot, "event-definitions.json", eventDefinitionsFileSchema);
  return file ? [...file.standardEvents, ...file.customEvents] : [];
}

const SEGMENTS_FILE = "segments.json";

export async function readSegments(snapshot: Snapshot): Promise<Segment[]> {
  return (await readJsonFile(snapshot, SEGMENTS_FILE, segmentsFileSchema)) ?? [];
}
