import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { copyFile, mkdir, readdir, rename } from "node:fs/promises";
import { once } from "node:events";
import { dirname, join, relative, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import { SnapshotFileError } from "../core/errors.js";

export const MANIFEST = "manifest.json";
/** Manifest written completely before the journal goes away, then renamed into place. */
export const MANIFEST_PENDING = "manifest.json.pending";

/**
 * Writes snapshot files atomically: each file is written under the journal's folder and renamed
 * into place once complete, so a killed pull never leaves half a file in the snapshot.
 */
export class SnapshotWriter {
  constructor(
    readonly dir: string,
    private readonly tmpDir: string,
  ) {}

  async writeJson(path: string, value: unknown): Promise<void> {
    await this.write(path, async (out) => {
      await put(out, `${JSON.stringify(value, null, 2)}\n`);
    });
  }

  /**
   * Stream an object whose `listKey` contains many items, one item per line, so that memory does
   * not depend on the length of the list.
   */
  async writeJsonList(
    path: string,
    head: Record<string, unknown>,
    listKey: string,
    items: Iterable<unknown>,
  ): Promise<number> {
    let count = 0;
    await this.write(path, async (out) => {
      await put(out, "{\n");
      for (const [key, value] of Object.entries(head)) {
        await put(out, `  ${JSON.stringify(key)}: ${JSON.stringify(value)},\n`);
      }

      await put(out, `  ${JSON.stringify(listKey)}: [`);
      for (const item of items) {
        await put(out, `${count === 0 ? "\n" : ",\n"}    ${JSON.stringify(item)}`);
        count += 1;
      }

      await put(out, count === 0 ? "]\n}\n" : "\n  ]\n}\n");
    });
    return count;
  }

  /** Write items as NDJSON files `<dir>/part-00001.ndjson`, … with at most `perFile` lines. */
  async writeNdjsonParts(dir: string, items: Iterable<unknown>, perFile: number): Promise<number> {
    const iterator = items[Symbol.iterator]();
    let next = iterator.next();
    let part = 0;
    let count = 0;
    while (!next.done) {
      part += 1;
      const path = `${dir}/part-${String(part).padStart(5, "0")}.ndjson`;
      await this.write(path, async (out) => {
        let lines = 0;
        while (!next.done && lines < perFile) {
          await put(out, `${JSON.stringify(next.value)}\n`);
          lines += 1;
          next = iterator.next();
        }

        count += lines;
      });
    }

    return count;
  }

  async copyIn(source: string, path: string): Promise<void> {
    const tmp = await this.tmpPath();
    await copyFile(source, tmp);
    await this.place(tmp, path);
  }

  private async write(path: string, fill: (out: WriteStream) => Promise<void>): Promise<void> {
    const tmp = await this.tmpPath();
    const out = createWriteStream(tmp);
    try {
      await fill(out);
    } finally {
      out.end();
      await once(out, "close");
    }

    await this.place(tmp, path);
  }

  private async tmpPath(): Promise<string> {
    await mkdir(this.tmpDir, { recursive: true });
    return join(this.tmpDir, `${randomBytes(8).toString("hex")}.tmp`);
  }

  private async place(tmp: string, path: string): Promise<void> {
    const target = join(this.dir, path);
    await mkdir(dirname(target), { recursive: true });
    await rename(tmp, target);
  }
}

async function put(out: WriteStream, text: string): Promise<void> {
  if (!out.write(text)) {
    await once(out, "drain");
  }
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(path), hash);
  return hash.digest("hex");
}

/**
 * Relative paths (with `/`) of all files in the snapshot, sorted, leaving out the manifest and
 * folders whose name starts with a dot, such as the journal. A symbolic link is an error.
 */
export async function listSnapshotFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    if (!entry.isFile() && !entry.isSymbolicLink()) {
      continue;
    }

    const path = relative(dir, join(entry.parentPath, entry.name)).split(sep).join("/");
    if (
      path === MANIFEST ||
      path === MANIFEST_PENDING ||
      path.split("/").some((part) => part.startsWith("."))
    ) {
      continue;
    }
    // A link could point anywhere on the machine, and skipping it would drop its rows silently.
    if (entry.isSymbolicLink()) {
      throw new SnapshotFileError(
        path,
        "is a symbolic link; a snapshot is read only from its own files, so copy the file or " +
          "folder it points to into the snapshot",
      );
    }

    files.push(path);
  }

  return files.sort();
}
