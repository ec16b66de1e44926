import { createWriteStream } from "node:fs";
import { mkdir, statfs } from "node:fs/promises";
import { isUtf8 } from "node:buffer";
import { dirname, join, resolve, sep } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import yauzl, { type Entry, type ZipFile } from "yauzl";
import { InsufficientStorageError, PayloadTooLargeError, UnsafeArchiveError } from "./errors.js";

export interface UnzipLimits {
  /** Entries (files and folders) one archive may hold. */
  maxEntries: number;
  /** Bytes all entries together may inflate to. */
  maxUnpackedBytes: number;
  /** Bytes one entry may inflate to. */
  maxEntryBytes: number;
  /** Largest inflated/compressed size ratio of one entry (see `DEFAULT_MAX_RATIO`). */
  maxRatio: number;
  /** Bytes that must stay free on the data folder's file system after unpacking. */
  minFreeBytes: number;
}

export interface UnzipResult {
  files: number;
  unpackedBytes: number;
}

/**
 * Default ratio cap. CSV exports of real user data deflate 5 to 20 times (the 2,000,000-row users
 * CSV of the upload benchmark: 165.3 MiB into 22.4 MiB, 7.4 times), and JSON definition files
 * with repeated keys reach about 30. Deflate cannot pass about 1,030 times (600 MiB of zeros
 * deflate to 611,504 bytes), which is what a zip bomb gets. So 100 leaves real data a wide
 * margin and still stops bombs at a tenth of their best ratio.
 */
export const DEFAULT_MAX_RATIO = 100;

/**
 * Entries below this inflated size are not held to the ratio: a small file of repeated text can
 * compress past 100 times, and what small entries add up to is bounded by `maxUnpackedBytes`.
 */
export const RATIO_EXEMPT_BYTES = 1024 * 1024;

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
/** General-purpose bit 11: the file name is UTF-8. */
const UTF8_FLAG = 0x800;

/** An archive entry with its name decoded. */
interface NamedEntry {
  entry: Entry;
  name: string;
}

function openZip(path: string): Promise<ZipFile> {
  return new Promise((done, fail) => {
    yauzl.open(
      path,
      {
        lazyEntries: true,
        autoClose: false,
        // Names are decoded by `entryName`; yauzl would read every name without bit 11 as CP437.
        decodeStrings: false,
        // The sizes are checked on the bytes actually inflated, by `inflationGuard`.
        validateEntrySizes: false,
      },
      (error, zip) => (error ? fail(error) : done(zip)),
    );
  });
}

function readEntries(zip: ZipFile): Promise<Entry[]> {
  return new Promise((done, fail) => {
    const entries: Entry[] = [];
    zip.on("entry", (entry: Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.once("end", () => done(entries));
    zip.once("error", fail);
    zip.readEntry();
  });
}

function openEntry(zip: ZipFile, entry: Entry): Promise<NodeJS.ReadableStream> {
  return new Promise((done, fail) => {
    zip.openReadStream(entry, (error, stream) => (error ? fail(error) : done(stream)));
  });
}

/**
 * Decode an entry's name. Bit 11 marks a UTF-8 name, but Info-ZIP `zip` on Linux and most
 * archivers other than Windows Explorer write UTF-8 names without setting it. A name without the
 * bit whose bytes are valid UTF-8 is therefore read as UTF-8; only other bytes fall back to
 * CP437, the encoding the zip format names for that case. An Info-ZIP Unicode Path extra field
 * (0x7075) whose checksum matches the name still wins, as in yauzl.
 */
export function entryName(flags: number, raw: Buffer, extraFields: Entry["extraFields"]): string {
  const utf8 = (flags & UTF8_FLAG) !== 0 || isUtf8(raw);
  return yauzl.getFileNameLowLevel(utf8 ? flags | UTF8_FLAG : flags, raw, extraFields, true);
}

/** Say how `name` spells its accented letters, for a message about two spellings of one name. */
function unicodeForm(name: string): string {
  if (name === name.normalize("NFC")) return "composed, NFC";
  if (name === name.normalize("NFD")) return "decomposed, NFD";
  return "mixed composed and decomposed";
}

/** Return the Unix file type stored in the upper half of `externalFileAttributes` (0 if none). */
function unixFileType(entry: Entry): number {
  return (entry.externalFileAttributes >>> 16) & S_IFMT;
}

function ratioOf(inflated: number, compressed: number): number {
  return inflated / Math.max(compressed, 1);
}

/** Maximum length, in bytes, of each file or folder name in an entry. */
const MAX_NAME_BYTES = 255;

function tooLarge(name: string, what: string, limit: string): PayloadTooLargeError {
  return new PayloadTooLargeError(`archive entry "${name}" ${what}; ${limit}`);
}

function entryLimit(limits: UnzipLimits): string {
  return `the limit is ${limits.maxEntryBytes} bytes per entry (uploads.maxEntryBytes)`;
}

function totalLimit(limits: UnzipLimits): string {
  return `the limit is ${limits.maxUnpackedBytes} bytes in all (uploads.maxUnpackedBytes)`;
}

function ratioLimit(limits: UnzipLimits): string {
  return `the limit is ${limits.maxRatio}:1 (uploads.maxRatio)`;
}

/**
 * Message for an entry name the zip library rejects. Some older Windows tools write `\` between
 * folder names, which the zip format does not allow, and the library's own text does not say so.
 */
function archiveRejected(reason: string): string {
  const backslashed = /^invalid characters in fileName: (.*\\.*)$/.exec(reason);
  if (backslashed) {
    return (
      `archive rejected: entry "${backslashed[1]}" uses \\ between folder names, where zip ` +
      "files use /; make the zip again with a tool that writes /"
    );
  }
  return `archive rejected: ${reason}`;
}

/**
 * Check every entry before anything is written, and return the entries with their names and
 * the declared unpacked size. The whole archive is rejected if one entry is a link, a device, a
 * duplicate, or a path that leaves the target folder, and when the entry count or a declared
 * size passes the limits. Declared sizes only allow an early rejection: `inflationGuard` holds each
 * entry to its declared size while it inflates, so a header that understates fails there.
 */
function checkEntries(
  entries: Entry[],
  target: string,
  limits: UnzipLimits,
): { named: NamedEntry[]; declared: number } {
  if (entries.length > limits.maxEntries) {
    throw new UnsafeArchiveError(
      `archive has ${entries.length} entries; at most ${limits.maxEntries} are accepted`,
    );
  }

  // Key without trailing slash -> the entry's name as the archive spells it.
  const seen = new Map<string, string>();
  const named: NamedEntry[] = [];
  let declared = 0;
  for (const entry of entries) {
    const spelled = entryName(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields);
    // macOS writes names decomposed (NFD) and manifests written by pull are composed (NFC): the
    // folder gets NFC names, so "müşteri.csv" matches its manifest line whatever made the zip.
    const name = spelled.normalize("NFC");
    const invalid = yauzl.validateFileName(name);
    if (invalid !== null) throw new UnsafeArchiveError(archiveRejected(invalid));
    const type = unixFileType(entry);
    if (type === S_IFLNK)
      throw new UnsafeArchiveError(`archive entry "${name}" is a symbolic link`);
    if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) {
      throw new UnsafeArchiveError(`archive entry "${name}" is not a regular file or folder`);
    }
    if (name.includes("\0") || name.split("/").some((part) => part === "." || part === "..")) {
      throw new UnsafeArchiveError(`archive entry "${name}" has an invalid path`);
    }
    // Most file systems allow at most 255 bytes per name. Checking it here makes the error name
    // the entry rather than the server's data folder.
    const longest = Math.max(...name.split("/").map((part) => Buffer.byteLength(part)));
    if (longest > MAX_NAME_BYTES) {
      throw new UnsafeArchiveError(
        `archive entry "${name.slice(0, 80)}…" has a name part of ${longest} bytes; at most ` +
          `${MAX_NAME_BYTES} are allowed`,
      );
    }
    const destination = resolve(target, name);
    if (destination !== target && !destination.startsWith(target + sep)) {
      throw new UnsafeArchiveError(`archive entry "${name}" points outside the snapshot folder`);
    }
    const key = name.replace(/\/+$/, "");
    const spelledKey = spelled.replace(/\/+$/, "");
    const earlier = seen.get(key);
    if (earlier === spelledKey)
      throw new UnsafeArchiveError(`archive entry "${name}" appears twice`);
    if (earlier !== undefined) {
      throw new UnsafeArchiveError(
        `archive entries "${earlier}" (${unicodeForm(earlier)}) and "${spelledKey}" ` +
          `(${unicodeForm(spelledKey)}) are the same name in two Unicode forms; keep one of them`,
      );
    }
    seen.set(key, spelledKey);
    if (entry.isEncrypted()) throw new UnsafeArchiveError(`archive entry "${name}" is encrypted`);

    const size = entry.uncompressedSize;
    if (size > limits.maxEntryBytes) {
      throw tooLarge(name, `declares ${size} bytes`, entryLimit(limits));
    }
    const ratio = ratioOf(size, entry.compressedSize);
    if (size > RATIO_EXEMPT_BYTES && ratio > limits.maxRatio) {
      const what = `declares ${size} bytes from ${entry.compressedSize} (${Math.round(ratio)}:1)`;
      throw tooLarge(name, what, ratioLimit(limits));
    }
    declared += size;
    if (declared > limits.maxUnpackedBytes) {
      throw tooLarge(name, `brings the archive to ${declared} bytes`, totalLimit(limits));
    }
    named.push({ entry, name });
  }
  return { named, declared };
}

/** Refuse to start when unpacking `declared` bytes would leave less than the minimum free. */
async function checkFreeSpace(target: string, declared: number, limits: UnzipLimits) {
  const stats = await statfs(target);
  const free = stats.bavail * stats.bsize;
  if (free - declared < limits.minFreeBytes) {
    throw new InsufficientStorageError(
      `archive unpacks to ${declared} bytes, but the data folder has ${free} bytes free and ` +
        `${limits.minFreeBytes} must stay free (uploads.minFreeBytes)`,
    );
  }
}

/** Bytes inflated so far over the whole archive, shared by the guards of its entries. */
export interface InflationTotal {
  bytes: number;
}

/**
 * Count the bytes an entry actually inflates to and fail as soon as they pass its declared
 * size, the per-entry or total limit, or the ratio to its compressed size. `compressedSize`
 * bounds what the inflater is fed, so the ratio is measured, not taken from the header. An
 * entry that ends short of its declared size fails too.
 */
export function inflationGuard(
  name: string,
  entry: Pick<Entry, "uncompressedSize" | "compressedSize">,
  limits: UnzipLimits,
  total: InflationTotal,
): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      total.bytes += chunk.length;
      if (seen > limits.maxEntryBytes) {
        callback(tooLarge(name, `inflates past ${limits.maxEntryBytes} bytes`, entryLimit(limits)));
      } else if (total.bytes > limits.maxUnpackedBytes) {
        const what = `brings the archive past ${limits.maxUnpackedBytes} bytes`;
        callback(tooLarge(name, what, totalLimit(limits)));
      } else if (
        seen > RATIO_EXEMPT_BYTES &&
        ratioOf(seen, entry.compressedSize) > limits.maxRatio
      ) {
        const what = `inflates to more than ${limits.maxRatio} times its ${entry.compressedSize} compressed bytes`;
        callback(tooLarge(name, what, ratioLimit(limits)));
      } else if (seen > entry.uncompressedSize) {
        callback(
          new UnsafeArchiveError(
            `archive entry "${name}" inflates to more than the ${entry.uncompressedSize} bytes ` +
              "its header declares",
          ),
        );
      } else {
        callback(null, chunk);
      }
    },
    flush(callback) {
      if (seen === entry.uncompressedSize) {
        callback();
        return;
      }
      callback(
        new UnsafeArchiveError(
          `archive entry "${name}" inflates to ${seen} bytes, not the ` +
            `${entry.uncompressedSize} its header declares`,
        ),
      );
    },
  });
}

/**
 * Unpack the zip at `zipPath` into the existing empty folder `target`. Throws
 * `UnsafeArchiveError` for an archive that is not a zip or fails the checks above,
 * `PayloadTooLargeError` for one past a size or ratio limit, and `InsufficientStorageError` when
 * the disk is too full. The caller removes `target` on failure, so no partial snapshot stays
 * behind.
 */
/**
 * True for what macOS Finder adds to a zip: the `__MACOSX/` folder of resource forks and
 * `.DS_Store` files. Unpacked, they would count as files added to a snapshot with a manifest.
 */
function isMacMetadata(name: string): boolean {
  const parts = name.split("/");
  return parts[0] === "__MACOSX" || parts[parts.length - 1] === ".DS_Store";
}

export async function unzipSafely(
  zipPath: string,
  target: string,
  limits: UnzipLimits,
): Promise<UnzipResult> {
  const root = resolve(target);
  let zip: ZipFile;
  try {
    zip = await openZip(zipPath);
  } catch (error) {
    throw new UnsafeArchiveError(
      `upload is not a readable zip archive: ${(error as Error).message}`,
      { cause: error },
    );
  }

  try {
    let entries: Entry[];
    try {
      entries = await readEntries(zip);
    } catch (error) {
      throw new UnsafeArchiveError(archiveRejected((error as Error).message), {
        cause: error,
      });
    }
    const { named, declared } = checkEntries(entries, root, limits);
    await checkFreeSpace(root, declared, limits);

    const total: InflationTotal = { bytes: 0 };
    let files = 0;
    for (const { entry, name } of named) {
      if (isMacMetadata(name)) continue;
      const destination = join(root, name);
      if (name.endsWith("/")) {
        await mkdir(destination, { recursive: true });
        continue;
      }

      try {
        await mkdir(dirname(destination), { recursive: true });
        const source = await openEntry(zip, entry);
        await pipeline(
          source,
          inflationGuard(name, entry, limits, total),
          createWriteStream(destination, { flags: "wx", mode: 0o640 }),
        );
      } catch (error) {
        if (error instanceof UnsafeArchiveError || error instanceof PayloadTooLargeError) {
          throw error;
        }
        throw new UnsafeArchiveError(
          `archive entry "${name}" could not be unpacked: ${(error as Error).message}`,
          { cause: error },
        );
      }
      files += 1;
    }
    return { files, unpackedBytes: total.bytes };
  } finally {
    zip.close();
  }
}
