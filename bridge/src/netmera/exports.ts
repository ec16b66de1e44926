import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { ConfigError, SnapshotFileError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { readExportUserIds, type UserFileSummary } from "./export-users.js";
import { UserSource, type PullJournal } from "./journal.js";
import { MANIFEST, MANIFEST_PENDING, type SnapshotWriter } from "./snapshot-files.js";

/** Files the pull writes itself; an export file may not take their place. */
const PULL_FILES = new Set([
  MANIFEST,
  MANIFEST_PENDING,
  "profile-attributes.json",
  "event-definitions.json",
  "segments.json",
  "devices.json",
  "push-stats.json",
  "coverage.json",
]);
const PULL_FOLDERS = ["profiles/", "user-devices/", "inbox/"];
const PULL_JSON_FOLDERS = ["segment-users/", "push-results/"];

/** Export file with frozen segment rules: `{"<id>": "rule"}` or `[{"id"|"name", "rule"}]`. */
export const SEGMENT_RULES_FILE = "segment-rules.json";

/**
 * Relative paths (with `/`) of the files under the exports folder, sorted. Hidden files and
 * folders (a leading dot, such as `.DS_Store`) are left out and reported in `skipped`.
 */
export async function listExportFiles(
  dir: string,
): Promise<{ files: string[]; skipped: string[] }> {
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch (error) {
    throw new ConfigError(`--exports ${dir} cannot be read: ${(error as Error).message}`, {
      cause: error,
    });
  }

  const files: string[] = [];
  const skipped: string[] = [];
  for (const entry of entries) {
    const path = relative(dir, join(entry.parentPath, entry.name)).split(sep).join("/");
    if (path.split("/").some((part) => part.startsWith("."))) {
      skipped.push(path);
      continue;
    }

    const isFile =
      entry.isFile() || (entry.isSymbolicLink() && (await stat(join(dir, path))).isFile());
    if (!isFile) {
      continue;
    }

    checkNotReserved(path);
    files.push(path);
  }

  return { files: files.sort(), skipped: skipped.sort() };
}

function checkNotReserved(path: string): void {
  const reserved =
    PULL_FILES.has(path) ||
    PULL_FOLDERS.some((folder) => path.startsWith(folder)) ||
    PULL_JSON_FOLDERS.some((folder) => path.startsWith(folder) && path.endsWith(".json"));
  if (reserved) {
    throw new ConfigError(
      `export file ${path} has the name of a file that pull writes from the REST API; rename or remove it from the exports folder`,
    );
  }
}

/** Return whether a snapshot path is a panel "Export Users" file whose extIds count as users. */
export function isUserExportFile(path: string): boolean {
  return /^users\/.+\.(csv|xlsx)$/i.test(path);
}

/**
 * Copy every export file into the snapshot under the same relative path, and add the extIds
 * found in `users/*.csv|xlsx` to the journal's users. Each file is journaled once done, so a
 * resumed pull does not copy large event exports again.
 */
export async function copyExports(
  dir: string,
  writer: SnapshotWriter,
  logger: Logger,
  journal: PullJournal,
): Promise<UserFileSummary[]> {
  const { files, skipped } = await listExportFiles(dir);
  if (skipped.length > 0) {
    logger.warn({ skipped }, "hidden files in the exports folder are not copied");
  }

  const summaries: UserFileSummary[] = [];
  for (const path of files) {
    const done = journal.getMeta(`export:${path}`);
    const summary =
      done === undefined ? await copyExport(dir, path, writer, logger, journal) : JSON.parse(done);
    if (summary !== null) {
      summaries.push(summary as UserFileSummary);
    }
  }

  return summaries;
}

async function copyExport(
  dir: string,
  path: string,
  writer: SnapshotWriter,
  logger: Logger,
  journal: PullJournal,
): Promise<UserFileSummary | null> {
  await writer.copyIn(join(dir, path), path);
  let summary: UserFileSummary | null = null;
  if (isUserExportFile(path)) {
    let batch: string[] = [];
    const addBatch = () => {
      const extIds = batch;
      journal.transaction(() => journal.addUsers(extIds, UserSource.exports));
      batch = [];
    };
    summary = await readExportUserIds(join(dir, path), path, (extId) => {
      batch.push(extId);
      if (batch.length >= 1000) {
        addBatch();
      }
    });
    addBatch();
    if (!summary.hasExtIdColumn) {
      logger.warn(
        { file: path },
        "export file has no External ID column; its users are not counted",
      );
    }
  }

  journal.setMeta(`export:${path}`, JSON.stringify(summary));
  return summary;
}

/**
 * Check the exports folder before the pull starts: it must be a readable folder that neither
 * contains the snapshot folder nor lies inside it.
 */
export async function checkExportsDir(dir: string, out: string): Promise<void> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(dir)).isDirectory();
  } catch (error) {
    throw new ConfigError(`--exports ${dir} cannot be read: ${(error as Error).message}`, {
      cause: error,
    });
  }

  if (!isFolder) {
    throw new ConfigError(`--exports ${dir} is not a folder`);
  }

  const inside = (child: string, parent: string) =>
    child === parent || child.startsWith(`${parent}${sep}`);
  if (inside(out, dir) || inside(dir, out)) {
    throw new ConfigError(
      `--exports ${dir} and --out ${out} overlap; keep the snapshot folder outside the exports folder`,
    );
  }
}

/** Frozen rule text per segment id or name, from the exports folder's segment-rules.json. */
export async function readSegmentRules(dir: string | undefined): Promise<Map<string, string>> {
  const rules = new Map<string, string>();
  if (dir === undefined) {
    return rules;
  }

  let text: string;
  try {
    text = await readFile(join(dir, SEGMENT_RULES_FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      return rules;
    }

    throw error;
  }

  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    throw new SnapshotFileError(
      SEGMENT_RULES_FILE,
      `is not valid JSON: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }

  const entries = Array.isArray(json)
    ? json.map((item, index) => ruleEntry(item, index))
    : Object.entries((json ?? {}) as Record<string, unknown>).map(([key, rule]) => ({
        keys: [key],
        rule,
      }));
  for (const { keys, rule } of entries) {
    const text = typeof rule === "string" ? rule : JSON.stringify(rule);
    for (const key of keys) {
      rules.set(key, text);
    }
  }

  return rules;
}

function ruleEntry(item: unknown, index: number): { keys: string[]; rule: unknown } {
  const record = (item ?? {}) as Record<string, unknown>;
  const keys = [record.id, record.name]
    .filter((key) => key !== undefined && key !== null)
    .map(String);
  const rule = record.rule ?? record.ruleText ?? record.conditions;
  if (keys.length === 0 || rule === undefined) {
    throw new SnapshotFileError(
      SEGMENT_RULES_FILE,
      `entry ${index} needs an "id" or "name" and a "rule"`,
    );
  }

  return { keys, rule };
}
