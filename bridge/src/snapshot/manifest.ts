import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { SnapshotFileError, SnapshotTamperedError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { DEFAULT_SOURCE_TIME_ZONE, isValidTimeZone } from "../normalize/dates.js";
import { listSnapshotFiles, MANIFEST, sha256File } from "../netmera/snapshot-files.js";
import { parseJsonText } from "./json-stream.js";

export const manifestSchema = z.object({
  app: z.string(),
  /** ISO 8601 time the pull finished. */
  pulledAt: z.string(),
  /** IANA time zone of the Netmera panel, used to read local dates and times. */
  sourceTimeZone: z.string().default(DEFAULT_SOURCE_TIME_ZONE),
  /** sha256 (hex) of every snapshot file, by path relative to the snapshot root. */
  files: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)),
});

export type Manifest = z.infer<typeof manifestSchema>;

/**
 * Snapshot hash: sha256 (hex) over `<path>\t<sha256>\n` for every file, sorted by path. It is
 * the same whether the file hashes come from the manifest or are computed, so a snapshot
 * without a manifest still has a stable identity for the mapping confirmation.
 */
export function snapshotHashOf(files: Record<string, string>): string {
  const hash = createHash("sha256");
  for (const path of Object.keys(files).sort()) {
    hash.update(`${path}\t${files[path]}\n`);
  }
  return hash.digest("hex");
}

export async function readManifest(root: string): Promise<Manifest | undefined> {
  let text: string;
  try {
    text = await readFile(join(root, MANIFEST), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      return undefined;
    }
    throw new SnapshotFileError(MANIFEST, `cannot be read: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const json = parseJsonText(text, MANIFEST);
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
      .join("; ");
    throw new SnapshotFileError(MANIFEST, `does not match the manifest format: ${issues}`);
  }
  if (!isValidTimeZone(parsed.data.sourceTimeZone)) {
    throw new SnapshotFileError(
      MANIFEST,
      `sourceTimeZone "${parsed.data.sourceTimeZone}" is not an IANA time zone name`,
    );
  }
  return parsed.data;
}

/** Hash every file of the snapshot (all files but the manifest and dot-folders). */
export async function hashSnapshotFiles(root: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const path of await listSnapshotFiles(root)) {
    files[path] = await sha256File(join(root, path));
  }
  return files;
}

/** Return `files` with every path in composed Unicode (NFC). */
function composedNames(files: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(files).map(([path, hash]) => [path.normalize("NFC"), hash]),
  );
}

/**
 * Compare the snapshot's files with its manifest and throw `SnapshotTamperedError` naming
 * every file that was changed, added or removed since the pull.
 */
export async function verifyManifest(
  root: string,
  manifest: Manifest,
  logger: Logger,
): Promise<void> {
  // A folder copied from macOS may spell accented names decomposed (NFD) while pull writes
  // them composed (NFC), so both sides are compared in NFC.
  const actual = composedNames(await hashSnapshotFiles(root));
  const listed = composedNames(manifest.files);
  const changed: string[] = [];
  const added: string[] = [];
  const removed: string[] = [];
  for (const [path, expected] of Object.entries(listed)) {
    const found = actual[path];
    if (found === undefined) {
      removed.push(path);
    } else if (found !== expected) {
      changed.push(path);
    }
  }
  for (const path of Object.keys(actual)) {
    if (!(path in listed)) {
      added.push(path);
    }
  }
  if (changed.length + added.length + removed.length === 0) {
    logger.debug({ files: Object.keys(actual).length }, "snapshot matches its manifest");
    return;
  }
  const parts = [
    changed.length ? `changed: ${changed.join(", ")}` : "",
    added.length ? `added: ${added.join(", ")}` : "",
    removed.length ? `removed: ${removed.join(", ")}` : "",
  ].filter(Boolean);
  // A mapping saved into the snapshot folder is the usual cause, so the message names its place.
  const strayMapping = added.find(
    (path) => path === "mapping.json" || path.endsWith("/mapping.json"),
  );
  const hint = strayMapping
    ? `; move ${strayMapping} out of the snapshot folder (map writes it to --out, default the current folder)`
    : "; pull a fresh snapshot instead of editing this one";
  throw new SnapshotTamperedError(
    `snapshot ${root} no longer matches its manifest (${parts.join("; ")})${hint}`,
  );
}
