import { createReadStream } from "node:fs";
import { extname } from "node:path";
import { createInterface } from "node:readline";
import { SnapshotFileError } from "../core/errors.js";

export interface JsonRecord {
  /** 1-based line where the record starts. */
  line: number;
  value: unknown;
}

/** Keys under which Netmera responses (and the pull's files) keep their list of records. */
const RECORD_KEYS = new Set(["list", "devices", "data", "records", "items", "results"]);
const ROOT = "$root";

interface Frame {
  type: "object" | "array";
  /** For arrays: the key the array sits under in its parent object, or ROOT at the top. */
  key?: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;

/**
 * A page object such as `{"name": …, "list": [ … ]}` inside a top-level array of pages: its
 * records are the items of its list. A record itself is returned unchanged.
 */
function expandPage(value: unknown): unknown[] {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return [value];
  }
  for (const key of RECORD_KEYS) {
    const items = (value as Record<string, unknown>)[key];
    if (Array.isArray(items) && items.every((item) => item !== null && typeof item === "object")) {
      return items;
    }
  }
  return [value];
}

/**
 * Stream the records of a JSON file without loading it whole: the objects of a top-level
 * array, of an array under `list`/`devices`/`data`/… in the top-level object, or of the lists
 * inside a top-level array of pages. `.ndjson` and `.jsonl` files hold one record per line.
 * Memory is bounded by the largest single record (or page).
 */
export async function* streamJsonRecords(path: string, file: string): AsyncGenerator<JsonRecord> {
  const extension = extname(path).toLowerCase();
  if (extension === ".ndjson" || extension === ".jsonl") {
    yield* streamNdjson(path, file);
    return;
  }
  const stack: Frame[] = [];
  let inString = false;
  let escaped = false;
  let line = 1;
  let capturing = false;
  let captureDepth = 0;
  let captureLine = 0;
  let captureParts: string[] = [];
  let captureStart = 0;
  // The last string read outside a record, and whether it may still become an object key.
  let lastString = "";
  let stringStart = 0;
  let stringPrefix = "";
  let pendingKey: string | undefined;
  let first = true;

  const source = createReadStream(path, { encoding: "utf8", highWaterMark: 256 * 1024 });
  for await (const chunkValue of source) {
    let chunk = chunkValue as string;
    if (first) {
      first = false;
      if (chunk.charCodeAt(0) === 0xfeff) {
        chunk = chunk.slice(1);
      }
    }
    captureStart = 0;
    for (let i = 0; i < chunk.length; i += 1) {
      const code = chunk.charCodeAt(i);
      if (code === NEWLINE) {
        line += 1;
      }
      if (inString) {
        if (escaped) {
          escaped = false;
        } else if (code === BACKSLASH) {
          escaped = true;
        } else if (code === QUOTE) {
          inString = false;
          if (!capturing) {
            lastString = stringPrefix + chunk.slice(stringStart, i);
            stringPrefix = "";
          }
        }
        continue;
      }
      if (code === QUOTE) {
        inString = true;
        stringStart = i + 1;
        stringPrefix = "";
        continue;
      }
      if (capturing) {
        if (code === OPEN_OBJECT || code === OPEN_ARRAY) {
          stack.push({ type: code === OPEN_OBJECT ? "object" : "array" });
        } else if (code === CLOSE_OBJECT || code === CLOSE_ARRAY) {
          stack.pop();
          if (stack.length === captureDepth) {
            captureParts.push(chunk.slice(captureStart, i + 1));
            const text = captureParts.join("");
            capturing = false;
            captureParts = [];
            let value: unknown;
            try {
              value = JSON.parse(text);
            } catch (error) {
              throw new SnapshotFileError(
                file,
                `invalid JSON in the record starting at line ${captureLine}: ${(error as Error).message}`,
                { cause: error },
              );
            }
            for (const item of expandPage(value)) {
              yield { line: captureLine, value: item };
            }
          }
        }
        continue;
      }
      if (code === COLON) {
        pendingKey = lastString;
        continue;
      }
      if (code === OPEN_OBJECT) {
        const top = stack[stack.length - 1];
        if (
          top?.type === "array" &&
          top.key !== undefined &&
          (top.key === ROOT || RECORD_KEYS.has(top.key))
        ) {
          capturing = true;
          captureDepth = stack.length;
          captureLine = line;
          captureStart = i;
          captureParts = [];
        }
        stack.push({ type: "object" });
        pendingKey = undefined;
        continue;
      }
      if (code === OPEN_ARRAY) {
        const top = stack[stack.length - 1];
        const key = top === undefined ? ROOT : top.type === "object" ? pendingKey : undefined;
        stack.push({ type: "array", key });
        pendingKey = undefined;
        continue;
      }
      if (code === CLOSE_OBJECT || code === CLOSE_ARRAY) {
        stack.pop();
      }
    }
    if (capturing) {
      captureParts.push(chunk.slice(captureStart));
    } else if (inString) {
      // A string split across chunks: keep its first part for a possible key.
      stringPrefix += chunk.slice(stringStart);
      stringStart = 0;
    }
  }
  if (capturing || stack.length > 0 || inString) {
    throw new SnapshotFileError(file, `ends in the middle of a JSON value (line ${line})`);
  }
}

async function* streamNdjson(path: string, file: string): AsyncGenerator<JsonRecord> {
  const lines = createInterface({
    input: createReadStream(path, { encoding: "utf8" }),
    crlfDelay: Infinity,
  });
  let line = 0;
  for await (const text of lines) {
    line += 1;
    const trimmed = line === 1 ? text.replace(/^\ufeff/, "").trim() : text.trim();
    if (trimmed === "") {
      continue;
    }
    try {
      yield { line, value: JSON.parse(trimmed) };
    } catch (error) {
      throw new SnapshotFileError(
        file,
        `line ${line} is not valid JSON: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }
}
