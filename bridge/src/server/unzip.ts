import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import yauzl, { type Entry, type ZipFile } from "yauzl";
import { UnsafeArchiveError } from "./errors.js";

export interface UnzipLimits {
  /** Entries (files and folders) one archive may hold. */
  maxEntries: number;
  /** Sum of the unpacked sizes of all entries, in bytes. */
  maxUnpackedBytes: number;
}

export interface UnzipResult {
  files: number;
  unpackedBytes: number;
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

function openZip(path: string): Promise<ZipFile> {
  return new Promise((done, fail) => {
    yauzl.open(
      path,
      {
        lazyEntries: true,
        autoClose: false,
        decodeStrings: true,
        validateEntrySizes: true,
        strictFileNames: true,
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

/** Return the Unix file type stored in the upper half of `externalFileAttributes` (0 if none). */
function unixFileType(entry: Entry): number {
  return (entry.externalFileAttributes >>> 16) & S_IFMT;
}

/**
 * Check every entry before anything is written, and return the declared unpacked size. The whole
 * archive is rejected if one entry is a link, a device, a duplicate, or a path that leaves the
 * target folder. It is also rejected when the entry count or the declared unpacked size passes
 * the limits. Declared sizes can be trusted afterwards because yauzl fails a stream whose real
 * size differs from the declared one (`validateEntrySizes`).
 */
function checkEntries(entries: Entry[], target: string, limits: UnzipLimits): number {
  if (entries.length > limits.maxEntries) {
    throw new UnsafeArchiveError(
      `archive has ${entries.length} entries; at most ${limits.maxEntries} are accepted`,
    );
  }

  const seen = new Set<string>();
  let total = 0;
  for (const entry of entries) {
    const name = entry.fileName;
    const type = unixFileType(entry);
    if (type === S_IFLNK)
      throw new UnsafeArchiveError(`archive entry "${name}" is a symbolic link`);
    if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) {
      throw new UnsafeArchiveError(`archive entry "${name}" is not a regular file or folder`);
    }
    if (name.includes("\0") || name.split("/").some((part) => part === "." || part === "..")) {
      throw new UnsafeArchiveError(`archive entry "${name}" has an invalid path`);
    }
    const destination = resolve(target, name);
    if (destination !== target && !destination.startsWith(target + sep)) {
      throw new UnsafeArchiveError(`archive entry "${name}" points outside the snapshot folder`);
    }
    const key = name.replace(/\/+$/, "");
    if (seen.has(key)) throw new UnsafeArchiveError(`archive entry "${name}" appears twice`);
    seen.add(key);
    if (entry.isEncrypted()) throw new UnsafeArchiveError(`archive entry "${name}" is encrypted`);

    total += entry.uncompressedSize;
    if (total > limits.maxUnpackedBytes) {
      throw new UnsafeArchiveError(
        `archive unpacks to more than ${limits.maxUnpackedBytes} bytes, the configured limit`,
      );
    }
  }
  return total;
}

/** Count bytes as they pass and fail once an entry writes more than it declared. */
function byteLimit(name: string, limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > limit) {
        callback(new UnsafeArchiveError(`archive entry "${name}" is larger than it declares`));
        return;
      }
      callback(null, chunk);
    },
  });
}

/**
 * Unpack the zip at `zipPath` into the existing empty folder `target`. Throws
 * `UnsafeArchiveError` for an archive that is not a zip or fails the checks above. The caller
 * removes `target` on failure, so no partial snapshot stays behind.
 */
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
      {
        cause: error,
      },
    );
  }

  try {
    let entries: Entry[];
    try {
      entries = await readEntries(zip);
    } catch (error) {
      throw new UnsafeArchiveError(`archive rejected: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const unpackedBytes = checkEntries(entries, root, limits);

    let files = 0;
    for (const entry of entries) {
      const destination = join(root, entry.fileName);
      if (entry.fileName.endsWith("/")) {
        await mkdir(destination, { recursive: true });
        continue;
      }

      try {
        await mkdir(dirname(destination), { recursive: true });
        const source = await openEntry(zip, entry);
        await pipeline(
          source,
          byteLimit(entry.fileName, entry.uncompressedSize),
          createWriteStream(destination, { flags: "wx", mode: 0o640 }),
        );
      } catch (error) {
        if (error instanceof UnsafeArchiveError) throw error;
        throw new UnsafeArchiveError(
          `archive entry "${entry.fileName}" could not be unpacked: ${(error as Error).message}`,
          { cause: error },
        );
      }
      files += 1;
    }
    return { files, unpackedBytes };
  } finally {
    zip.close();
  }
}
