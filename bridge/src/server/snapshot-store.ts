import { createHash, randomUUID } from "node:crypto";
import { createWriteStream, existsSync } from "node:fs";
import type { Dirent } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ConfigError, NotFoundError, RequestError, SnapshotTamperedError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { KNOWN_FOLDERS } from "../mapping/propose-files.js";
import { openSnapshot } from "../snapshot/snapshot.js";
import { InvalidSnapshotError, PayloadTooLargeError } from "./errors.js";
import { unzipSafely, type UnzipLimits } from "./unzip.js";

/** Snapshot ids are folder names under `<data dir>/snapshots`, so only this shape is accepted. */
export const SNAPSHOT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export interface UploadLimits extends UnzipLimits {
  /** Size of the uploaded zip itself, in bytes. */
  maxUploadBytes: number;
}

export interface StoredSnapshot {
  snapshotId: string;
  /** sha256 of the uploaded zip, hex. */
  sha256: string;
  /** The snapshot's identity, as mapping confirmations and plans record it. */
  snapshotHash: string;
  files: number;
  unpackedBytes: number;
  /**
   * True when the archive had a manifest.json and every file matched its hash. Panel exports
   * zipped by hand have none, so they are kept, but nothing vouches for their content.
   */
  verified: boolean;
  /** Set when `verified` is false, saying why, for the uploader to read. */
  warning?: string;
  /** True when the same zip was uploaded before and its folder is reused. */
  existing: boolean;
}

/** Folder of the job state files under the data dir (see `JobManagerOptions.stateDir`). */
export function jobStateDir(dataDir: string): string {
  return join(dataDir, "jobs");
}

/** Layout of the data dir: snapshots, uploads in progress and per-run work folders. */
export class DataDir {
  constructor(readonly root: string) {}

  snapshotsDir(): string {
    return join(this.root, "snapshots");
  }

  snapshotDir(snapshotId: string): string {
    return join(this.snapshotsDir(), snapshotId);
  }

  runDir(runId: number): string {
    return join(this.root, "runs", String(runId));
  }

  /** Return the folder of an existing snapshot, or raise `NotFoundError`. */
  existingSnapshotDir(snapshotId: string): string {
    const dir = this.snapshotDir(snapshotId);
    if (!SNAPSHOT_ID_PATTERN.test(snapshotId) || !existsSync(dir)) {
      throw new NotFoundError(`snapshot "${snapshotId}" not found; upload it or pull it first`);
    }
    return dir;
  }
}

async function readMeta(path: string): Promise<Omit<StoredSnapshot, "existing">> {
  return JSON.parse(await readFile(path, "utf8")) as Omit<StoredSnapshot, "existing">;
}

function hashAndLimit(hash: ReturnType<typeof createHash>, limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > limit) {
        callback(
          new PayloadTooLargeError(`upload is larger than ${limit} bytes, the configured limit`),
        );
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
  });
}

/**
 * Write the request body to `path` through `limiter`. The body is piped rather than passed to
 * `pipeline`, which would destroy the request, and with it the socket, before the error handler
 * can respond with 413. On a failure the rest of the body is read and dropped instead.
 */
async function receive(body: Readable, limiter: Transform, path: string): Promise<void> {
  body.on("error", (error) => limiter.destroy(error));
  body.pipe(limiter);
  try {
    await pipeline(limiter, createWriteStream(path));
  } catch (error) {
    body.unpipe(limiter);
    body.resume();
    throw error;
  }
}

/**
 * Check a stored snapshot against its manifest before an upload of the same zip reuses it. A
 * file removed or changed on disk since would otherwise stay broken however often the zip is
 * uploaded again.
 */
async function storedIntact(
  target: string,
  meta: Omit<StoredSnapshot, "existing">,
  logger: Logger,
): Promise<boolean> {
  if (!meta.verified) return true;
  try {
    await openSnapshot(target, { logger, verify: true });
    return true;
  } catch (error) {
    if (!(error instanceof SnapshotTamperedError)) throw error;
    logger.warn(
      { snapshotId: meta.snapshotId, err: error },
      "stored snapshot changed on disk; unpacking the upload again",
    );
    return false;
  }
}

/** Top-level folders of a snapshot itself, which are never taken for a wrapping folder. */
const SNAPSHOT_FOLDERS = new Set<string>(KNOWN_FOLDERS);

/**
 * Return the folder of an unpacked archive that contains the snapshot. `zip -r snap.zip snapshot/`
 * puts everything under one top-level folder, so an archive whose only entry is a folder is
 * read from inside that folder.
 */
async function snapshotRoot(unpackDir: string): Promise<string> {
  const entries = await readdir(unpackDir, { withFileTypes: true });
  const only = entries.length === 1 ? entries[0] : undefined;
  // A lone users/ or tags/ folder is part of the snapshot, not a folder wrapped around it.
  if (only?.isDirectory() && !SNAPSHOT_FOLDERS.has(only.name.toLowerCase())) {
    return join(unpackDir, only.name);
  }

  assertNoNestedManifest(unpackDir, entries);
  return unpackDir;
}

/**
 * Refuse an archive whose manifest.json sits one folder down beside other top-level entries.
 * Read from the top, such an archive would pass as a snapshot without a manifest, with the
 * manifest counted as a data file and none of the hashes checked. A hand-made export without
 * any manifest (`users/`, `tags/` at the top) stays accepted.
 */
function assertNoNestedManifest(unpackDir: string, entries: Dirent[]): void {
  if (entries.some((entry) => entry.isFile() && entry.name === "manifest.json")) return;

  const folders = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  const withManifest = folders.filter((name) => existsSync(join(unpackDir, name, "manifest.json")));
  if (withManifest.length === 0) return;

  const all = entries
    .map((entry) => (entry.isDirectory() ? `${entry.name}/` : entry.name))
    .sort()
    .join(", ");
  const manifests = withManifest
    .sort()
    .map((name) => `${name}/manifest.json`)
    .join(" and ");
  throw new RequestError(
    `invalid snapshot layout: the archive has ${entries.length} top-level entries (${all}) ` +
      `and its manifest one level down, in ${manifests}. A snapshot sits at the top of the ` +
      "zip or inside a single top-level folder: zip the snapshot folder alone",
  );
}

/**
 * Store an uploaded snapshot zip: stream it to a temporary file (hashing and counting bytes on
 * the way), unpack it into a temporary folder, check it against its manifest, then rename that
 * folder into place. A failure at
 * any step removes both temporaries, so a snapshot folder exists only when it is complete. The
 * id comes from the zip's hash, so uploading the same zip twice reuses the first folder.
 */
export async function storeSnapshotUpload(
  dataDir: DataDir,
  body: Readable,
  limits: UploadLimits,
  logger: Logger,
): Promise<StoredSnapshot> {
  const incoming = join(dataDir.root, "incoming");
  await mkdir(incoming, { recursive: true });
  await mkdir(dataDir.snapshotsDir(), { recursive: true });
  const token = randomUUID();
  const zipPath = join(incoming, `${token}.zip`);
  const unpackDir = join(incoming, token);

  try {
    const hash = createHash("sha256");
    await receive(body, hashAndLimit(hash, limits.maxUploadBytes), zipPath);
    const sha256 = hash.digest("hex");
    const snapshotId = `upload-${sha256.slice(0, 16)}`;
    const target = dataDir.snapshotDir(snapshotId);
    const metaPath = `${target}.upload.json`;
    if (existsSync(target)) {
      const meta = await readMeta(metaPath);
      if (await storedIntact(target, meta, logger)) return { ...meta, existing: true };
      // A stored copy that no longer matches its manifest is replaced by this upload.
      await rm(target, { recursive: true, force: true });
      await rm(metaPath, { force: true });
    }

    await mkdir(unpackDir);
    const { files, unpackedBytes } = await unzipSafely(zipPath, unpackDir, limits);
    if (files === 0) {
      throw new InvalidSnapshotError(
        "invalid snapshot: the archive contains no files; zip the snapshot folder that pull wrote (manifest.json " +
          "and the users/ folder at the top level of the zip)",
      );
    }

    const root = await snapshotRoot(unpackDir);
    // Checks every file against manifest.json, when there is one, before the folder is kept.
    const snapshot = await openSnapshot(root, { logger, verify: true }).catch((error: unknown) => {
      // The message names the temporary folder, which means nothing to the uploader.
      if (error instanceof ConfigError) {
        throw new InvalidSnapshotError(
          `invalid snapshot: ${error.message.replaceAll(`snapshot folder ${root}`, "the upload").replaceAll(root, "the upload")}`,
        );
      }
      if (!(error instanceof SnapshotTamperedError)) throw error;
      throw new SnapshotTamperedError(error.message.replace(`snapshot ${root}`, "upload"));
    });
    const verified = snapshot.manifest !== undefined;
    const stored = {
      snapshotId,
      sha256,
      snapshotHash: snapshot.hash,
      files,
      unpackedBytes,
      verified,
      ...(verified
        ? {}
        : {
            warning:
              "the archive has no manifest.json at its top level, so its files were not " +
              "checked against hashes; a snapshot written by pull has one",
          }),
    };
    // The metadata sits beside the folder, not in it: the snapshot's manifest lists every file
    // inside, and an extra one would make the snapshot look tampered with.
    await writeFile(metaPath, `${JSON.stringify(stored)}\n`);
    try {
      await rename(root, target);
    } catch (error) {
      // The same zip uploaded twice at once: the other upload put its folder in place first.
      if (!existsSync(target)) throw error;
      return { ...stored, existing: true };
    }
    return { ...stored, existing: false };
  } finally {
    await rm(zipPath, { force: true });
    await rm(unpackDir, { recursive: true, force: true });
  }
}
