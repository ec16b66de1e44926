/** Line and column (both 1-based) of a position in a text file. */
export interface TextLocation {
  line: number;
  column: number;
}

/** Convert a character offset into a 1-based line and column. */
export function locationOfOffset(text: string, offset: number): TextLocation {
  let line = 1;
  let lineStart = 0;
  for (let index = 0; index < offset && index < text.length; index += 1) {
    if (text.charCodeAt(index) === 10) {
      line += 1;
      lineStart = index + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * Find where the value at `path` starts in a JSON text, so that a schema error can name a line
 * and column. Returns undefined when the path does not exist (a missing key is reported at its
 * parent by the caller). The text must already be valid JSON.
 */
export function locateJsonPath(
  text: string,
  path: readonly PropertyKey[],
): TextLocation | undefined {
  const scanner = new JsonScanner(text);
  const offset = scanner.find(path);
  return offset === undefined ? undefined : locationOfOffset(text, offset);
}

class JsonScanner {
  private index = 0;

  constructor(private readonly text: string) {}

  find(path: readonly PropertyKey[]): number | undefined {
    this.skipWhitespace();
    for (const key of path) {
      const found = this.enter(key);
      if (!found) {
        return undefined;
      }
    }
    return this.index;
  }

  /** Move from the start of a container to the start of its member `key`. */
  private enter(key: PropertyKey): boolean {
    const opening = this.text[this.index];
    if (opening === "{") {
      return this.enterObject(String(key));
    }

    if (opening === "[") {
      return this.enterArray(Number(key));
    }

    return false;
  }

  private enterObject(key: string): boolean {
    this.index += 1;
    this.skipWhitespace();
    while (this.text[this.index] === '"') {
      const name = this.readString();
      this.skipWhitespace();
      this.index += 1;
      this.skipWhitespace();
      if (name === key) {
        return true;
      }

      this.skipValue();
      this.skipWhitespace();
      if (this.text[this.index] !== ",") {
        return false;
      }

      this.index += 1;
      this.skipWhitespace();
    }
    return false;
  }

  private enterArray(position: number): boolean {
    this.index += 1;
    this.skipWhitespace();
    for (let element = 0; this.text[this.index] !== "]"; element += 1) {
      if (element === position) {
        return true;
      }

      this.skipValue();
      this.skipWhitespace();
      if (this.text[this.index] !== ",") {
        return false;
      }

      this.index += 1;
      this.skipWhitespace();
    }
    return false;
  }

  private readString(): string {
    const start = this.index;
    this.skipString();
    return JSON.parse(this.text.slice(start, this.index)) as string;
  }

  private skipString(): void {
    this.index += 1;
    while (this.index < this.text.length && this.text[this.index] !== '"') {
      this.index += this.text[this.index] === "\\" ? 2 : 1;
    }
    this.index += 1;
  }

  /** Move past one value of any kind, stopping at the comma or bracket that follows it. */
  private skipValue(): void {
    let depth = 0;
    while (this.index < this.text.length) {
      const char = this.text[this.index] ?? "";
      if (char === '"') {
        this.skipString();
        if (depth === 0) {
          return;
        }
        continue;
      }

      if (char === "{" || char === "[") {
        depth += 1;
      } else if (char === "}" || char === "]") {
        if (depth === 0) {
          return;
        }
        depth -= 1;
        if (depth === 0) {
          this.index += 1;
          return;
        }
      } else if (depth === 0 && (char === "," || /\s/.test(char))) {
        return;
      }
      this.index += 1;
    }
  }

  private skipWhitespace(): void {
    while (/\s/.test(this.text[this.index] ?? "")) {
      this.index += 1;
    }
  }
}

/**
 * Find the offset of the first syntax error in a JSON text. Node 20's JSON.parse names a
 * position only for some errors, so the text is checked again here to place every error.
 * Returns undefined when the text is valid JSON.
 */
export function findJsonSyntaxError(text: string): number | undefined {
  const checker = new JsonChecker(text);
  try {
    checker.value();
    checker.skipWhitespace();
    return checker.index < text.length ? checker.index : undefined;
  } catch (error) {
    if (error instanceof JsonSyntaxAt) {
      return error.offset;
    }
    throw error;
  }
}

// The rest of a string after its opening quote. JSON forbids raw control characters inside
// strings, so the class excludes them.
// eslint-disable-next-line no-control-regex
const JSON_STRING_REST = /(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const JSON_LITERAL = /true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

class JsonSyntaxAt extends Error {
  constructor(readonly offset: number) {
    super(`JSON syntax error at offset ${offset}`);
  }
}

class JsonChecker {
  index = 0;

  constructor(private readonly text: string) {}

  value(): void {
    this.skipWhitespace();
    const char = this.text[this.index];
    if (char === "{") {
      this.members("}", () => {
        this.string();
        this.skipWhitespace();
        this.expect(":");
        this.value();
      });
    } else if (char === "[") {
      this.members("]", () => this.value());
    } else if (char === '"') {
      this.string();
    } else {
      this.literal();
    }
  }

  /** Check `{…}` or `[…]` with comma-separated members and no trailing comma. */
  private members(closing: string, member: () => void): void {
    this.index += 1;
    this.skipWhitespace();
    if (this.text[this.index] === closing) {
      this.index += 1;
      return;
    }

    for (;;) {
      this.skipWhitespace();
      member();
      this.skipWhitespace();
      if (this.text[this.index] === closing) {
        this.index += 1;
        return;
      }
      this.expect(",");
    }
  }

  private string(): void {
    this.expect('"');
    this.match(JSON_STRING_REST);
  }

  private literal(): void {
    this.match(JSON_LITERAL);
  }

  /** Consume what a sticky pattern matches at the current offset, or report a syntax error. */
  private match(pattern: RegExp): void {
    pattern.lastIndex = this.index;
    const match = pattern.exec(this.text);
    if (!match) {
      throw new JsonSyntaxAt(this.index);
    }
    this.index += match[0].length;
  }

  private expect(char: string): void {
    if (this.text[this.index] !== char) {
      throw new JsonSyntaxAt(this.index);
    }
    this.index += 1;
  }

  skipWhitespace(): void {
    while (/[ \t\n\r]/.test(this.text[this.index] ?? "")) {
      this.index += 1;
    }
  }
}

/** Key that occurs twice in one JSON object, with the offsets of both opening quotes. */
export interface DuplicateKey {
  key: string;
  offset: number;
  firstOffset: number;
}

/**
 * Find the first key that occurs twice in one object of a valid JSON text. `JSON.parse` keeps
 * the last value without a word, so a duplicate must be found in the text. A cheap first test
 * compares the keys of the parsed value with the key ends of the text (a colon after an
 * unescaped quote). A string that starts with a colon also counts as a key end, so the count is
 * never below the number of keys written. Equal counts therefore mean no duplicate, and only
 * unequal ones lead to a scan of the text key by key.
 */
export function findDuplicateKey(text: string, parsed: unknown): DuplicateKey | undefined {
  if (countKeyEnds(text) === countKeys(parsed)) {
    return undefined;
  }
  return new DuplicateKeyScanner(text).scan();
}

function isJsonWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

function countKeyEnds(text: string): number {
  let count = 0;
  for (let at = text.indexOf(":"); at >= 0; at = text.indexOf(":", at + 1)) {
    let quote = at - 1;
    while (isJsonWhitespace(text.charCodeAt(quote))) quote -= 1;
    if (text.charCodeAt(quote) !== 0x22) continue;
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === 0x5c) backslashes += 1;
    if (backslashes % 2 === 0) count += 1;
  }
  return count;
}

function countKeys(value: unknown): number {
  if (value === null || typeof value !== "object") {
    return 0;
  }
  let count = 0;
  if (Array.isArray(value)) {
    for (const item of value) count += countKeys(item);
    return count;
  }
  for (const key in value) {
    count += 1 + countKeys((value as Record<string, unknown>)[key]);
  }
  return count;
}

class DuplicateKeyScanner {
  private index = 0;

  constructor(private readonly text: string) {}

  scan(): DuplicateKey | undefined {
    const objects: (Map<string, number> | undefined)[] = [];
    let expectKey = false;
    while (this.index < this.text.length) {
      const char = this.text[this.index];
      if (char === '"') {
        const start = this.index;
        const value = this.readString();
        const keys = objects[objects.length - 1];
        if (expectKey && keys) {
          const first = keys.get(value);
          if (first !== undefined) {
            return { key: value, offset: start, firstOffset: first };
          }
          keys.set(value, start);
        }
        expectKey = false;
        continue;
      }
      if (char === "{") {
        objects.push(new Map());
        expectKey = true;
      } else if (char === "[") {
        objects.push(undefined);
      } else if (char === "}" || char === "]") {
        objects.pop();
      } else if (char === ",") {
        expectKey = objects[objects.length - 1] !== undefined;
      }
      this.index += 1;
    }
    return undefined;
  }

  private readString(): string {
    const start = this.index;
    this.index += 1;
    while (this.index < this.text.length && this.text[this.index] !== '"') {
      this.index += this.text[this.index] === "\\" ? 2 : 1;
    }
    this.index += 1;
    return JSON.parse(this.text.slice(start, this.index)) as string;
  }
}
