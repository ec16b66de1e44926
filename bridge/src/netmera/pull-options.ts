import { createHash } from "node:crypto";
import type { Logger } from "../core/log.js";
import type { BackoffPolicy } from "./backoff.js";

/**
 * Largest page or batch size of any request. Netmera caps lookups at 1000 unique extIds or
 * tokens per request and getSegmentUsers pages at 1000
 * (https://user.netmera.com/netmera-developer-guide/api-documentation/rest-api/user-and-device-management.md).
 */
export const MAX_IDS_PER_REQUEST = 1000;

export const DEFAULT_APP = "default";

export interface PullOptions {
  out: string;
  exportsDir?: string;
  apiKey: string;
  /**
   * Options that shape the snapshot. Left undefined, a new pull takes the default and a resumed
   * pull keeps what its first run used.
   */
  baseUrl?: string;
  app?: string;
  sourceTimeZone?: string;
  since?: Date;
  until?: Date;
  pageSize?: number;
  inbox?: boolean;
  requestsPerSecond: number;
  concurrency: number;
  timeoutMs: number;
  backoff?: BackoffPolicy;
  /** Lines per NDJSON part file of per-user results. */
  partSize?: number;
  logger: Logger;
  /** Human-readable progress lines (standard error for the CLI). */
  progress: NodeJS.WritableStream;
  progressIntervalMs?: number;
  now?: () => Date;
  random?: () => number;
}

/** Options that shape the snapshot's content; a resumed pull must keep them. */
export interface FrozenOptions {
  baseUrl: string;
  app: string;
  sourceTimeZone: string;
  exportsDir: string | null;
  since: string;
  until: string;
  pageSize: number;
  inbox: boolean;
  startedAt: string;
}

export interface TimeWindow {
  start: number;
  /** Inclusive end in epoch milliseconds, one millisecond before the next window starts. */
  end: number;
}

/**
 * Split [since, until] into calendar months (UTC), the unit getPushStats is asked for. Windows
 * touch without overlapping; messages seen in two windows are kept once by notification key.
 */
export function monthlyWindows(since: Date, until: Date): TimeWindow[] {
  const windows: TimeWindow[] = [];
  let start = since.getTime();
  const last = until.getTime();
  while (start <= last) {
    const at = new Date(start);
    const nextMonth = Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1);
    const end = Math.min(nextMonth - 1, last);
    windows.push({ start, end });
    start = end + 1;
  }

  return windows;
}

/** Default start of the push statistics window: twelve months before `until`. */
export function defaultSince(until: Date): Date {
  const since = new Date(until.getTime());
  since.setUTCFullYear(since.getUTCFullYear() - 1);
  return since;
}

/**
 * File name for a Netmera id (segment id, notification key). Plain ids are kept as they are, so
 * people find the file. Any other id gets a readable part plus a hash of the exact id.
 */
export function fileNameFor(id: string): string {
  if (/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$/.test(id)) {
    return id;
  }

  const readable = id.replace(/[^A-Za-z0-9_-]+/g, "_").slice(0, 40);
  const digest = createHash("sha256").update(id).digest("hex").slice(0, 12);
  return `${readable}-${digest}`;
}
