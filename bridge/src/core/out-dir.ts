import { mkdir, readdir, rmdir, stat } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { ConfigError } from "./errors.js";

/** Return the error code of a failed file system call, or undefined for any other error. */
function errorCode(error: unknown): string | undefined {
  return error instanceof Error && "code" in error ? String(error.code) : undefined;
}

/**
 * Return the status of `path`, or undefined when nothing exists there (ENOTDIR: a file is
 * where a parent folder should be, which the caller finds one level up).
 */
async function statOrNothing(path: string): Promise<Awaited<ReturnType<typeof stat>> | undefined> {
  try {
    return await stat(path);
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw error;
  }
}

/**
 * Check that an output folder option names a folder that exists or can be created, before a
 * command starts work. Missing folders are created one level at a time and removed again, so
 * a command that rejects its input later leaves nothing behind.
 *
 * Node's `mkdir(..., { recursive: true })` can loop without end where the parent exists but
 * refuses new entries with ENOENT, as /proc does, so this check creates each level itself.
 */
export async function checkOutDir(path: string, option = "--out"): Promise<void> {
  const target = resolve(path);
  const missing: string[] = [];
  let current = target;
  let found = await statOrNothing(current);
  while (!found) {
    missing.unshift(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
    found = await statOrNothing(current);
  }

  if (found && !found.isDirectory()) {
    const problem = current === target ? "is a file, not a folder" : `is inside ${current}, a file`;
    throw new ConfigError(`${option} ${path} ${problem}; choose a folder`);
  }

  const created: string[] = [];
  try {
    for (const folder of missing) {
      await mkdir(folder);
      created.push(folder);
    }
  } catch (error) {
    const failed = missing[created.length];
    throw new ConfigError(
      `${option} ${path}: cannot create folder ${failed} (${errorCode(error) ?? String(error)}); ` +
        "choose a folder you can write to",
    );
  } finally {
    for (const folder of created.reverse()) {
      await rmdir(folder).catch(() => undefined);
    }
  }
}

/**
 * Reject an output path inside the snapshot folder: a file written there counts as a snapshot
 * file, so it changes the snapshot's hash and fails its manifest check on the next command.
 */
export function assertOutsideSnapshot(snapshotDir: string, path: string, what: string): void {
  const inside = relative(resolve(snapshotDir), resolve(path));
  if (inside.startsWith("..") || isAbsolute(inside)) return;
  throw new ConfigError(
    `${path} is inside the snapshot folder ${snapshotDir}, where it would change the ` +
      `snapshot's hash and fail its manifest check; write ${what} elsewhere (for example ` +
      `--out work/${basename(resolve(snapshotDir))})`,
  );
}

/**
 * Reject a folder that a command replaces as a whole when it contains files the command did
 * not write, so that no file of the user's is deleted without a word.
 */
export async function assertOnlyOwnFiles(
  folder: string,
  own: (name: string) => boolean,
  command: string,
): Promise<void> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return;
    throw error;
  }
  const foreign = names.filter((name) => !own(name)).sort();
  if (foreign.length === 0) return;
  const listed = foreign.slice(0, 5).join(", ") + (foreign.length > 5 ? " …" : "");
  throw new ConfigError(
    `${folder} holds files ${command} did not write (${listed}); ${command} replaces that ` +
      `folder, so move them or choose another --out`,
  );
}

/** Path of the plan folder inside an output folder. */
export function planFolder(outDir: string): string {
  return join(outDir, "plan");
}
