import { createReadStream } from "node:fs";
import { extname } from "node:path";
import { createInterface } from "node:readline";
import { SnapshotFileError } from "../core/errors.js";
import { findDuplicateKey, locationOfOffset } from "../core/json-location.js";

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
  let captureStart: number;
  // The last string read outside a record, and whether it may still become an object key.
  let lastString = "";
  let stringStart = 0;
  let stringPrefix = "";
  let pendingKey: string | undefined;
  let first = true;
  // Offsets in characters from the start of the file, for the column of a record that fails.
  let chunkStart = 0;
  let lineStart = 0;
  let captureColumn = 0;

  const source = createReadStream(path, { encoding: "utf8", highWaterMark: 256 * 1024 });
  for await (const chunkValue of source) {
    let chunk = chunkValue as string;
    if (first) {
      first = false;
      assertNotUtf16(chunk, file);
      if (chunk.charCodeAt(0) === 0xfeff) {
        chunk = chunk.slice(1);
      }
    }
    captureStart = 0;
    for (let i = 0; i < chunk.length; i += 1) {
      const code = chunk.charCodeAt(i);
      if (code === NEWLINE) {
        line += 1;
        lineStart = chunkStart + i + 1;
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
                recordSyntaxMessage(text, error, captureLine, captureColumn),
                { cause: error },
              );
            }
            assertUniqueKeys(text, value, file, captureLine, captureColumn);
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
          captureColumn = chunkStart + i - lineStart + 1;
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
    chunkStart += chunk.length;
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
    if (line === 1) {
      assertNotUtf16(text, file);
    }
    const trimmed = line === 1 ? text.replace(/^\ufeff/, "").trim() : text.trim();
    if (trimmed === "") {
      continue;
    }
    // trim() also drops a byte-order mark, which is not a column of the line.
    const start =
      text.charCodeAt(0) === OPEN_OBJECT
        ? 0
        : text.length -
          text.trimStart().length +
          (line === 1 && text.startsWith("\ufeff") ? -1 : 0);
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (error) {
      throw new SnapshotFileError(file, recordSyntaxMessage(trimmed, error, line, start + 1), {
        cause: error,
      });
    }
    assertUniqueKeys(trimmed, value, file, line, start + 1);
    yield { line, value };
  }
}

/**
 * Reject a JSON file in UTF-16 (or UTF-32), which reaches the parser as replacement characters
 * for a byte-order mark, or with NUL characters between the ASCII ones. It is not decoded
 * instead: RFC 8259 requires UTF-8 for JSON exchanged between systems, Netmera's API and the
 * pull write UTF-8, and so a UTF-16 file is one saved again by hand (Notepad's "Unicode"). One
 * clear rule is simpler to trust than a second decoding path for these files.
 */
function assertNotUtf16(start: string, file: string): void {
  const bom = start.startsWith("\ufffd\ufffd");
  if (bom || start.charCodeAt(0) === 0 || start.charCodeAt(1) === 0) {
    const sign = bom
      ? "it starts with a UTF-16 byte-order mark"
      : "its characters contain NUL bytes";
    throw new SnapshotFileError(
      file,
      `is not UTF-8 but UTF-16 text (${sign}); JSON files must be UTF-8 (with or without a ` +
        "byte-order mark), so save it again as UTF-8",
    );
  }
}

/** Reject an object with a key twice, locating it from the record's start line and column. */
function assertUniqueKeys(
  text: string,
  value: unknown,
  file: string,
  startLine: number,
  startColumn: number,
): void {
  const duplicate = findDuplicateKey(text, value);
  if (!duplicate) {
    return;
  }
  const place = (offset: number) => {
    const at = locationOfOffset(text, offset);
    const column = at.line === 1 ? startColumn + at.column - 1 : at.column;
    return `line ${startLine + at.line - 1}, column ${column}`;
  };
  throw new SnapshotFileError(
    file,
    `${place(duplicate.offset)}: the key ${JSON.stringify(duplicate.key)} occurs a second time ` +
      `in the same object (first at ${place(duplicate.firstOffset)}); a JSON reader would keep ` +
      "only the last value, so remove or rename one of them",
  );
}

/** Build the syntax error message of one record, located in the file from the record's start. */
function recordSyntaxMessage(
  text: string,
  error: unknown,
  startLine: number,
  startColumn: number,
): string {
  const problem = findJsonSyntaxProblem(text);
  if (!problem) {
    return `line ${startLine}: invalid JSON in the record starting there: ${(error as Error).message}`;
  }
  const line = startLine + problem.line - 1;
  const column = problem.line === 1 ? startColumn + problem.column - 1 : problem.column;
  return (
    `line ${line}, column ${column}: invalid JSON (${problem.reason}) ` +
    `near ${JSON.stringify(problem.excerpt)}`
  );
}

/** Location and reason of a JSON syntax error, for a message that names line and column. */
export interface JsonSyntaxProblem {
  /** 1-based line and column (in UTF-16 code units) of the first invalid character. */
  line: number;
  column: number;
  /** Reason, as the token the parser expected there. */
  reason: string;
  /** The text of that line around the column, at most about 60 characters. */
  excerpt: string;
}

class JsonSyntaxStop {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {}
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * A JSON syntax checker that stops at the first invalid character. V8's `JSON.parse` messages
 * give a position for some errors and none for others ("Unexpected token '}', … is not valid
 * JSON"), so the location is found again here, only after `JSON.parse` has failed.
 */
class JsonSyntaxScanner {
  private index = 0;

  constructor(private readonly text: string) {}

  /** Offset and reason of the first syntax error, or undefined when the text is valid. */
  scan(): JsonSyntaxStop | undefined {
    try {
      this.value();
      this.whitespace();
      if (this.index < this.text.length) {
        this.stop("unexpected text after the end of the JSON value");
      }
      return undefined;
    } catch (error) {
      if (error instanceof JsonSyntaxStop) return error;
      throw error;
    }
  }

  private stop(reason: string): never {
    throw new JsonSyntaxStop(this.index, reason);
  }

  private whitespace(): void {
    while (this.index < this.text.length && " \t\n\r".includes(this.text[this.index] ?? "")) {
      this.index += 1;
    }
  }

  private value(): void {
    this.whitespace();
    const char = this.text[this.index];
    if (char === undefined) this.stop("the file ends where a value was expected");
    if (char === "{") return this.object();
    if (char === "[") return this.array();
    if (char === '"') return this.string();
    if (char === "-" || (char >= "0" && char <= "9")) return this.number();
    for (const literal of ["true", "false", "null"]) {
      if (this.text.startsWith(literal, this.index)) {
        this.index += literal.length;
        return;
      }
    }
    this.stop(`unexpected ${JSON.stringify(char)} where a value was expected`);
  }

  private object(): void {
    this.index += 1;
    this.whitespace();
    if (this.text[this.index] === "}") {
      this.index += 1;
      return;
    }
    for (;;) {
      this.whitespace();
      if (this.text[this.index] !== '"') this.stop("expected a property name in double quotes");
      this.string();
      this.whitespace();
      if (this.text[this.index] !== ":") this.stop('expected ":" after the property name');
      this.index += 1;
      this.value();
      this.whitespace();
      const next = this.text[this.index];
      this.index += 1;
      if (next === "}") return;
      if (next !== ",") {
        this.index -= 1;
        if (next === undefined) this.stop("the file ends before the object is closed");
        this.stop('expected "," or "}" after the property value');
      }
    }
  }

  private array(): void {
    this.index += 1;
    this.whitespace();
    if (this.text[this.index] === "]") {
      this.index += 1;
      return;
    }
    for (;;) {
      this.value();
      this.whitespace();
      const next = this.text[this.index];
      this.index += 1;
      if (next === "]") return;
      if (next !== ",") {
        this.index -= 1;
        if (next === undefined) this.stop("the file ends before the array is closed");
        this.stop('expected "," or "]" after the array element');
      }
    }
  }

  private string(): void {
    this.index += 1;
    for (;;) {
      const code = this.text.charCodeAt(this.index);
      if (Number.isNaN(code)) this.stop("the file ends inside a string");
      if (code === QUOTE) {
        this.index += 1;
        return;
      }
      if (code === BACKSLASH) {
        const escape = this.text[this.index + 1] ?? "";
        if (
          escape === "u" &&
          /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.index + 2, this.index + 6))
        ) {
          this.index += 6;
          continue;
        }
        if (escape === "" || !'"\\/bfnrt'.includes(escape)) this.stop("invalid escape in a string");
        this.index += 2;
        continue;
      }
      if (code < 0x20) this.stop("unescaped control character or line break in a string");
      this.index += 1;
    }
  }

  private number(): void {
    NUMBER.lastIndex = this.index;
    const match = NUMBER.exec(this.text);
    if (!match || match[0] === "-") this.stop("invalid number");
    this.index += match[0].length;
  }
}

/** Line, column and surrounding text of a character offset. */
function locate(text: string, offset: number): Omit<JsonSyntaxProblem, "reason"> {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i += 1) {
    if (text.charCodeAt(i) === NEWLINE) {
      line += 1;
      lineStart = i + 1;
    }
  }
  const lineEnd = text.indexOf("\n", offset);
  const lineText = text.slice(lineStart, lineEnd < 0 ? text.length : lineEnd).replace(/\r$/, "");
  const column = offset - lineStart + 1;
  const from = Math.max(0, column - 1 - 30);
  const excerpt =
    (from > 0 ? "…" : "") +
    lineText.slice(from, column - 1 + 30).trim() +
    (column - 1 + 30 < lineText.length ? "…" : "");
  return { line, column, excerpt };
}

/** Find where a text that `JSON.parse` rejected stops being valid JSON. */
export function findJsonSyntaxProblem(text: string): JsonSyntaxProblem | undefined {
  const stop = new JsonSyntaxScanner(text).scan();
  return stop ? { ...locate(text, stop.offset), reason: stop.reason } : undefined;
}

/** `line L, column C: invalid JSON (reason) near "excerpt"`, or V8's message when none is found. */
export function describeJsonSyntaxError(text: string, error: unknown): string {
  const problem = findJsonSyntaxProblem(text);
  if (!problem) {
    return `invalid JSON: ${(error as Error).message}`;
  }
  return (
    `line ${problem.line}, column ${problem.column}: invalid JSON (${problem.reason}) ` +
    `near ${JSON.stringify(problem.excerpt)}`
  );
}

/**
 * Parse a JSON file's text, ignoring a leading byte-order mark. Errors name line and column, and
 * an object with the same key twice is an error.
 */
export function parseJsonText(text: string, file: string): unknown {
  assertNotUtf16(text, file);
  const body = text.replace(/^\ufeff/, "");
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw new SnapshotFileError(file, describeJsonSyntaxError(body, error), { cause: error });
  }
  assertUniqueKeys(body, value, file, 1, 1);
  return value;
}
