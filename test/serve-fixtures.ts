/**
 * Helpers for the bridge API suites: a small zip writer that can also build the malformed
 * archives a safe unpacker must reject (traversal, links, lying sizes), and job runners that
 * run in-process and can be held open by the test.
 */
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { Writable } from "node:stream";
import { once } from "node:events";
import { crc32, createDeflateRaw, deflateRawSync } from "node:zlib";
import { pino, type Logger } from "pino";
import request from "supertest";
import { createApp } from "../bridge/src/server/app.js";
import type { UploadLimits } from "../bridge/src/server/snapshot-store.js";
import { REDACTED_PATHS } from "../bridge/src/core/log.js";
import type { JobRunners } from "../bridge/src/server/jobs.js";

export interface ZipEntrySpec {
  name: string;
  data?: Buffer | string;
  /** Unix mode stored in the external attributes (`0o120777` marks a symbolic link). */
  mode?: number;
  deflate?: boolean;
  /** Uncompressed size to declare instead of the real one. */
  declaredSize?: number;
  /** Already deflated content, with the CRC-32 and size of what it inflates to. */
  deflated?: { data: Buffer; crc: number; size: number };
  /** Name bytes to store instead of the UTF-8 of `name`. */
  nameBytes?: Buffer;
  /** Set general-purpose bit 11 (UTF-8 name); true unless given. */
  utf8Flag?: boolean;
}

/** Build a zip archive from `entries`, byte by byte, exactly as given. */
export function buildZip(entries: ZipEntrySpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const raw = Buffer.isBuffer(entry.data) ? entry.data : Buffer.from(entry.data ?? "");
    const stored = entry.deflated?.data ?? (entry.deflate ? deflateRawSync(raw) : raw);
    const name = entry.nameBytes ?? Buffer.from(entry.name, "utf8");
    const method = entry.deflate || entry.deflated ? 8 : 0;
    const crc = entry.deflated?.crc ?? crc32(raw);
    const size = entry.declaredSize ?? entry.deflated?.size ?? raw.length;
    const flags = entry.utf8Flag === false ? 0 : 0x0800;

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(stored.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, stored);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(stored.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((entry.mode ?? 0o100644) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + stored.length;
  }

  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/**
 * Deflate `size` bytes of zeros as a stream, the shape of a zip bomb: 600 MB come out near
 * 611 KB. Returns what `ZipEntrySpec.deflated` takes, without holding the inflated bytes.
 */
export async function deflatedZeros(
  size: number,
): Promise<{ data: Buffer; crc: number; size: number }> {
  const chunk = Buffer.alloc(1024 * 1024);
  const deflate = createDeflateRaw({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on("data", (part: Buffer) => parts.push(part));
  let crc = 0;
  for (let left = size; left > 0; left -= chunk.length) {
    const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
    crc = crc32(piece, crc);
    if (!deflate.write(piece)) await once(deflate, "drain");
  }
  deflate.end();
  await once(deflate, "end");
  return { data: Buffer.concat(parts), crc, size };
}

/** A pino logger at `trace` (with the bridge's redaction) whose lines the test can read. */
export function captureLogger(): { logger: Logger; lines: () => string[]; text: () => string } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString("utf8"));
      done();
    },
  });
  const logger = pino(
    { level: "trace", redact: { paths: REDACTED_PATHS, censor: "[redacted]" }, base: undefined },
    sink,
  );
  const text = () => chunks.join("");
  return { logger, text, lines: () => text().split("\n").filter(Boolean) };
}

/** A promise with its resolve function, for holding a job open until the test lets it go. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** The smallest document the mapping schema takes, for jobs that never read its entries. */
export const MAPPING = {
  version: 1,
  snapshotHash: "a".repeat(64),
  proposedAt: "2026-12-01T10:00:00.000Z",
  settings: {},
  entries: [],
};

export interface RecordedCall {
  job: keyof JobRunners;
  params: unknown;
}

/**
 * In-process job runners that record their calls and return small summaries. `hold` keeps
 * `migrate` running until the gate opens (or the job's signal aborts).
 */
export function recordingJobs(options: { hold?: Promise<void> } = {}): {
  jobs: JobRunners;
  calls: RecordedCall[];
} {
  const calls: RecordedCall[] = [];
  const jobs: JobRunners = {
    pull: async (params) => {
      calls.push({ job: "pull", params });
      return { files: 3 };
    },
    plan: async (params) => {
      calls.push({ job: "plan", params });
      return { rows: 10 };
    },
    migrate: async (params, context) => {
      calls.push({ job: "migrate", params });
      context.onProgress({ phase: "contacts", done: 1, total: 2 });
      if (options.hold) {
        const aborted = new Promise<void>((resolve) =>
          context.signal.addEventListener("abort", () => resolve(), { once: true }),
        );
        await Promise.race([options.hold, aborted]);
      }
      context.onProgress({ phase: "contacts", done: 2, total: 2 });
      return { created: 2, aborted: context.signal.aborted };
    },
    rollback: async (params) => {
      calls.push({ job: "rollback", params });
      return { deleted: 2, restored: 0 };
    },
    inventory: async (params) => {
      calls.push({ job: "inventory", params });
      return { documents: 5 };
    },
  };
  return { jobs, calls };
}

/** Post `body` as a zip to `POST /snapshots` of a fresh app that keeps its data in `dataDir`. */
export function uploadZip(
  token: string,
  dataDir: string,
  body: Buffer,
  limits: Partial<UploadLimits> = {},
): request.Test {
  const app = createApp({
    token,
    logger: captureLogger().logger,
    jobs: recordingJobs().jobs,
    dataDir,
    uploadLimits: limits,
  });
  return request(app)
    .post("/snapshots")
    .set("X-Bridge-Token", token)
    .set("Content-Type", "application/zip")
    .send(body);
}

/** List the files below `root`, as paths relative to it, in sorted order. */
export function listFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.push(relative(root, path));
    }
  };
  walk(root);
  return files;
}
