import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { resolve } from "node:path";
import { Transform, type TransformCallback } from "node:stream";
import iconv from "iconv-lite";
import { SnapshotFileError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { detectDelimiter } from "./delimiter.js";

export type TextEncoding =
  "utf-8" | "utf-16le" | "utf-16be" | "windows-1254" | "iso-8859-9" | "iso-8859-1" | "windows-1252";

/** Names a user may give for each encoding, compared without case, `-` and `_`. */
const ENCODING_NAMES: Record<TextEncoding, string[]> = {
  "utf-8": ["utf-8", "utf8"],
  "utf-16le": ["utf-16le", "utf-16"],
  "utf-16be": ["utf-16be"],
  "windows-1254": ["windows-1254", "cp1254", "turkish"],
  "iso-8859-9": ["iso-8859-9", "latin5"],
  "iso-8859-1": ["iso-8859-1", "latin1", "latin-1"],
  "windows-1252": ["windows-1252", "cp1252"],
};

function foldEncodingName(name: string): string {
  return name.toLowerCase().replace(/[-_\s]/g, "");
}

/** Encoding named by `name` (`latin1`, `cp1254`, `UTF-8` …), or undefined for an unknown name. */
export function parseEncodingName(name: string): TextEncoding | undefined {
  const folded = foldEncodingName(name);
  for (const [encoding, names] of Object.entries(ENCODING_NAMES)) {
    if (names.some((candidate) => foldEncodingName(candidate) === folded)) {
      return encoding as TextEncoding;
    }
  }
  return undefined;
}

/** Accepted encoding names, for messages. */
export const ENCODING_CHOICES = Object.values(ENCODING_NAMES).map((names) => names[0]);

/**
 * Encodings stated by the user, by absolute path. The readers open files by path through
 * several modules, so the statement is looked up here rather than passed down every call.
 */
const statedEncodings = new Map<string, TextEncoding>();

/** Decisions made in this process, by absolute path, for the audit and the mapping proposal. */
const decisions = new Map<string, DetectedEncoding>();

/**
 * Read the file at `path` in `encoding` from now on, whatever its bytes suggest; undefined
 * returns it to detection.
 */
export function stateEncoding(path: string, encoding: TextEncoding | undefined): void {
  if (encoding) {
    statedEncodings.set(resolve(path), encoding);
  } else {
    statedEncodings.delete(resolve(path));
  }
}

/** Return the encoding last chosen for the file at `path`, if it was opened as text. */
export function encodingDecision(path: string): DetectedEncoding | undefined {
  return decisions.get(resolve(path));
}

export interface DetectedEncoding {
  encoding: TextEncoding;
  /** Bytes of byte-order mark at the start of the file, skipped before decoding. */
  bomLength: number;
  /** How the encoding was decided, for the debug log. */
  reason: string;
  /** Path of the file on disk, so that a decoding error can locate the bad bytes. */
  path?: string;
  /** Origin of the choice: a byte-order mark or the bytes, `--encoding`, or a guess. */
  source?: "detected" | "stated" | "guessed";
}

const PROBE_BYTES = 64 * 1024;

function hasNonAscii(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i += 1) {
    if ((bytes[i] ?? 0) >= 0x80) {
      return true;
    }
  }
  return false;
}

/** Length of `bytes` without a multi-byte UTF-8 sequence cut off at the end of the chunk. */
function completeUtf8Length(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back += 1) {
    const byte = bytes[bytes.length - back] ?? 0;
    if ((byte & 0xc0) === 0x80) {
      continue;
    }
    if (byte >= 0xc0) {
      const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
      return needed > back ? bytes.length - back : bytes.length;
    }
    return bytes.length;
  }
  return bytes.length;
}

function isValidUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, completeUtf8Length(bytes)));
    return true;
  } catch {
    return false;
  }
}

/** Number of well-formed multi-byte UTF-8 sequences before the first byte that breaks UTF-8. */
export function utf8SequencesBeforeInvalid(bytes: Buffer): number {
  let sequences = 0;
  let at = 0;
  while (at < bytes.length) {
    const lead = bytes[at] as number;
    const length =
      lead < 0x80
        ? 1
        : lead >= 0xc2 && lead <= 0xdf
          ? 2
          : lead >= 0xe0 && lead <= 0xef
            ? 3
            : lead >= 0xf0 && lead <= 0xf4
              ? 4
              : 0;
    if (length === 0 || at + length > bytes.length) {
      return sequences;
    }
    if (length > 1) {
      if (!isValidUtf8(bytes.subarray(at, at + length))) {
        return sequences;
      }
      sequences += 1;
    }
    at += length;
  }
  return sequences;
}

/** UTF-16 without a byte-order mark shows as a zero byte in every other position of ASCII text. */
function guessBomlessUtf16(bytes: Buffer): TextEncoding | undefined {
  const pairs = Math.floor(Math.min(bytes.length, 4096) / 2);
  if (pairs < 4) {
    return undefined;
  }
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < pairs; i += 1) {
    if (bytes[2 * i] === 0) evenZeros += 1;
    if (bytes[2 * i + 1] === 0) oddZeros += 1;
  }
  if (oddZeros > pairs * 0.6 && evenZeros < pairs * 0.05) return "utf-16le";
  if (evenZeros > pairs * 0.6 && oddZeros < pairs * 0.05) return "utf-16be";
  return undefined;
}

/**
 * Decide a text file's encoding: a byte-order mark first (UTF-8, UTF-16 LE/BE); otherwise the
 * first chunk that contains non-ASCII bytes decides between UTF-8 (valid UTF-8) and
 * Windows-1254, the Turkish code page that older panel exports use. A file that is pure ASCII
 * throughout is read as UTF-8.
 */
export async function detectEncoding(
  path: string,
  file: string,
  logger: Logger,
): Promise<DetectedEncoding> {
  const handle = await open(path, "r");
  let detected: DetectedEncoding;
  try {
    const buffer = Buffer.alloc(PROBE_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, PROBE_BYTES, 0);
    const head = buffer.subarray(0, bytesRead);
    const fromHead = decideFromHead(head);
    const stated = statedEncodings.get(resolve(path));
    if (stated && fromHead && fromHead.bomLength > 0 && fromHead.encoding !== stated) {
      // A byte-order mark is certain; a statement that contradicts it is a mistake.
      throw new SnapshotFileError(
        file,
        `starts with a ${fromHead.reason}, but its encoding is stated as ${stated}; ` +
          `state ${fromHead.encoding} or remove the statement`,
      );
    }
    if (!isUtf16(stated ?? fromHead?.encoding)) {
      assertText(head, file);
    }
    if (stated && stated !== "utf-8" && !isUtf16(stated)) {
      assertNotUtf8(head, file, stated);
    }
    if (stated) {
      detected = {
        encoding: stated,
        bomLength: fromHead?.encoding === stated ? fromHead.bomLength : 0,
        reason: "stated with --encoding",
        source: "stated",
      };
    } else {
      detected = fromHead ?? (await decideFromContent(handle, head, bytesRead));
    }
  } finally {
    await handle.close();
  }

  logger.debug({ file, encoding: detected.encoding, reason: detected.reason }, "encoding chosen");
  const key = resolve(path);
  if (detected.source === "guessed" && decisions.get(key)?.source !== "guessed") {
    logger.warn({ file, encoding: detected.encoding }, guessWarning(file));
  }
  decisions.set(key, { ...detected, path });
  return { ...detected, path };
}

/**
 * Reject a single-byte encoding stated for text that is UTF-8: read so, every Turkish letter
 * would become two wrong characters ("ş" as "ÅŸ"). Text in Latin-1 or Windows-1254 with letters
 * beyond ASCII is practically never also valid UTF-8, so valid UTF-8 with such letters in the
 * first block is taken as UTF-8.
 */
function assertNotUtf8(head: Buffer, file: string, stated: TextEncoding): void {
  const first = head.findIndex((byte) => byte >= 0x80);
  if (first < 0 || !isValidUtf8(head) || utf8SequencesBeforeInvalid(head) === 0) {
    return;
  }
  let line = 1;
  for (let i = 0; i < first; i += 1) {
    if (head[i] === 0x0a) line += 1;
  }
  const decoded = new TextDecoder("utf-8").decode(head.subarray(first, first + 4));
  const letter = String.fromCodePoint(decoded.codePointAt(0) ?? 0xfffd);
  throw new SnapshotFileError(
    file,
    `its encoding is stated as ${stated}, but the text is UTF-8 ("${letter}" on line ${line}), ` +
      `which ${stated} would read as other letters; remove the statement for this file`,
  );
}

function isUtf16(encoding: TextEncoding | undefined): boolean {
  return encoding === "utf-16le" || encoding === "utf-16be";
}

/** Warning for a file read as Windows-1254 because its bytes are not UTF-8. */
export function guessWarning(file: string): string {
  return (
    `${file} is not UTF-8 and has no byte-order mark, so it is read as Windows-1254 (Turkish); ` +
    "Latin-1 files read this way turn ð ý þ Ð Ý Þ into ğ ı ş Ğ İ Ş. If it is in another " +
    `encoding, state it with --encoding ${file}=latin1 (or windows-1252 …) on map and audit`
  );
}

/** Share of control characters in the first block above which a file is taken as binary. */
const MAX_CONTROL_SHARE = 0.1;

function isControl(byte: number): boolean {
  // Tab, line feed and carriage return belong in text files; form feed and others do not.
  return (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) || byte === 0x7f;
}

/**
 * Reject a file that is not text, such as a spreadsheet or archive saved under a `.csv` name:
 * a NUL byte (text files other than UTF-16 never hold one), or more than a tenth of the first
 * block made of control characters. The error names the byte offset of the first such byte.
 */
function assertText(head: Buffer, file: string): void {
  const nul = head.indexOf(0);
  if (nul >= 0) {
    throw new SnapshotFileError(
      file,
      `${locateNul(head, nul, file)}: NUL byte at byte offset ${nul}, so this is not a text ` +
        "file; export it again as CSV (UTF-8, UTF-16 or Windows-1254) or as .xlsx",
    );
  }
  let controls = 0;
  let first = -1;
  for (let i = 0; i < head.length; i += 1) {
    if (isControl(head[i] ?? 0)) {
      controls += 1;
      if (first < 0) first = i;
    }
  }
  if (head.length > 0 && controls / head.length > MAX_CONTROL_SHARE) {
    const share = Math.round((controls / head.length) * 100);
    throw new SnapshotFileError(
      file,
      `is not a text file: ${share}% of the first ${head.length} bytes are control characters, ` +
        `the first at byte offset ${first}; export it again as CSV or as .xlsx`,
    );
  }
}

/** Split one CSV line into its cells, honouring double quotes (`""` is a quote). */
function splitLine(line: string, delimiter: string): string[] {
  const cells: string[] = [];
  let cell = "";
  let inQuotes = false;
  for (let i = 0; i < line.length; i += 1) {
    const char = line[i];
    if (char === '"') {
      if (inQuotes && line[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else {
        inQuotes = !inQuotes;
      }
    } else if (char === delimiter && !inQuotes) {
      cells.push(cell);
      cell = "";
    } else {
      cell += char;
    }
  }
  cells.push(cell);
  return cells;
}

/**
 * Locate a NUL byte of the first block as `line L, column C ("header")`. This runs only once a
 * NUL is found, so the check itself stays one `indexOf`. Line feeds, quotes and delimiters are
 * ASCII, which UTF-8 and the single-byte code pages encode alike, so the bytes are scanned as
 * Latin-1. Only the header line is decoded, for its names.
 */
function locateNul(head: Buffer, nul: number, file: string): string {
  const text = head.toString("latin1");
  let delimiter = ",";
  try {
    delimiter = detectDelimiter(text.replaceAll("\u0000", " "), file);
  } catch {
    // The delimiter cannot be decided, so commas are counted. The line is right either way.
  }

  let line = 1;
  let column = 0;
  let headerEnd = -1;
  let inQuotes = false;
  for (let i = 0; i < nul; i += 1) {
    const char = text[i];
    if (char === '"') {
      inQuotes = !inQuotes;
    } else if (char === "\n") {
      line += 1;
      if (!inQuotes) {
        column = 0;
        if (headerEnd < 0) headerEnd = i;
      }
    } else if (char === delimiter && !inQuotes) {
      column += 1;
    }
  }
  if (headerEnd < 0) {
    return `line ${line}, column ${column + 1}`;
  }

  const bytes = head.subarray(0, headerEnd);
  const headerText = isValidUtf8(bytes)
    ? bytes.toString("utf8")
    : iconv.decode(bytes, "windows-1254");
  const headers = splitLine(headerText.replace(/^\ufeff/, "").replace(/\r$/, ""), delimiter);
  const header = headers[column];
  const name = header === undefined ? "" : ` (${JSON.stringify(header)})`;
  return `line ${line}, column ${column + 1}${name}`;
}

function decideFromHead(head: Buffer): DetectedEncoding | undefined {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) {
    return { encoding: "utf-8", bomLength: 3, reason: "UTF-8 byte-order mark" };
  }
  if (head[0] === 0xff && head[1] === 0xfe) {
    return { encoding: "utf-16le", bomLength: 2, reason: "UTF-16 LE byte-order mark" };
  }
  if (head[0] === 0xfe && head[1] === 0xff) {
    return { encoding: "utf-16be", bomLength: 2, reason: "UTF-16 BE byte-order mark" };
  }
  const utf16 = guessBomlessUtf16(head);
  if (utf16) {
    return { encoding: utf16, bomLength: 0, reason: "zero bytes in every other position" };
  }
  return undefined;
}

async function decideFromContent(
  handle: Awaited<ReturnType<typeof open>>,
  head: Buffer,
  headLength: number,
): Promise<DetectedEncoding> {
  let chunk = head;
  let position = headLength;
  const buffer = Buffer.alloc(PROBE_BYTES);
  while (!hasNonAscii(chunk)) {
    if (chunk.length === 0) {
      return { encoding: "utf-8", bomLength: 0, reason: "ASCII only" };
    }
    // Keep the last 3 bytes so that a sequence split across chunks is judged whole.
    const carry = chunk.subarray(Math.max(0, chunk.length - 3));
    const { bytesRead } = await handle.read(buffer, 0, PROBE_BYTES, position);
    if (bytesRead === 0) {
      return { encoding: "utf-8", bomLength: 0, reason: "ASCII only" };
    }
    position += bytesRead;
    chunk = Buffer.concat([carry, buffer.subarray(0, bytesRead)]);
  }
  if (isValidUtf8(chunk)) {
    return { encoding: "utf-8", bomLength: 0, reason: "first non-ASCII bytes are valid UTF-8" };
  }
  // Several well-formed multi-byte sequences before the first bad byte mean a UTF-8 file with
  // some bytes of another encoding. Reading it as UTF-8 stops at that byte with its line and
  // column; reading it as Windows-1254 would garble every letter before it.
  if (utf8SequencesBeforeInvalid(chunk) >= 2) {
    return {
      encoding: "utf-8",
      bomLength: 0,
      reason: "valid UTF-8 letters come before the first invalid byte",
    };
  }
  return {
    encoding: "windows-1254",
    bomLength: 0,
    reason: "first non-ASCII bytes are not valid UTF-8",
    source: "guessed",
  };
}

/**
 * Decode a byte stream to text. UTF-8 decoding is strict: a file that was detected as UTF-8
 * from its first non-ASCII bytes but holds invalid bytes later fails with the byte offset
 * instead of turning them into replacement characters.
 */
export function createDecoder(detected: DetectedEncoding, file: string): Transform {
  if (detected.encoding === "utf-8") {
    const decoder = new TextDecoder("utf-8", { fatal: true });
    return new Transform({
      decodeStrings: true,
      readableObjectMode: false,
      transform(chunk: Buffer, _encoding, callback: TransformCallback) {
        try {
          callback(null, decoder.decode(chunk, { stream: true }));
        } catch (error) {
          invalidUtf8Error(detected, file, error).then(
            (located) => callback(located),
            (failure: unknown) => callback(failure as Error),
          );
        }
      },
      flush(callback: TransformCallback) {
        try {
          callback(null, decoder.decode());
        } catch (error) {
          callback(
            new SnapshotFileError(file, "truncated UTF-8 sequence at the end", { cause: error }),
          );
        }
      },
    });
  }
  if (isUtf16(detected.encoding)) {
    return createUtf16Decoder(detected, file);
  }
  const decoder = iconv.getDecoder(detected.encoding);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      callback(null, decoder.write(chunk));
    },
    flush(callback: TransformCallback) {
      callback(null, decoder.end() ?? "");
    },
  });
}

/** `String.prototype.isWellFormed` (Node 20), which the ES2022 library types leave out. */
function isWellFormed(text: string): boolean {
  return (text as unknown as { isWellFormed(): boolean }).isWellFormed();
}

/** Index of the first surrogate in `text` without its other half. */
function loneSurrogateAt(text: string): number {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i += 1;
        continue;
      }
      return i;
    }
    if (code >= 0xdc00 && code <= 0xdfff) {
      return i;
    }
  }
  return -1;
}

/**
 * Strict UTF-16 decoding. iconv-lite passes a lone surrogate through (it becomes U+FFFD when
 * written out) and drops an odd last byte. Both mean a damaged or cut file, so either stops
 * the read with the byte offset and line. A high surrogate at the end of a chunk waits for the
 * next chunk, so only the carried bytes are held back.
 */
function createUtf16Decoder(detected: DetectedEncoding, file: string): Transform {
  const bigEndian = detected.encoding === "utf-16be";
  let carry: Buffer | undefined;
  /** Bytes decoded so far, counted from the end of the byte-order mark. */
  let decoded = 0;
  const fail = (callback: TransformCallback, offset: number, problem: string) => {
    utf16Error(detected, file, detected.bomLength + offset, problem).then(
      (error) => callback(error),
      (failure: unknown) => callback(failure as Error),
    );
  };
  return new Transform({
    decodeStrings: true,
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      const bytes = carry ? Buffer.concat([carry, chunk]) : chunk;
      carry = undefined;
      let whole = bytes.length - (bytes.length % 2);
      if (whole >= 2) {
        const last = bigEndian ? bytes.readUInt16BE(whole - 2) : bytes.readUInt16LE(whole - 2);
        if (last >= 0xd800 && last <= 0xdbff) {
          whole -= 2;
        }
      }
      if (whole < bytes.length) {
        carry = Buffer.from(bytes.subarray(whole));
      }
      let body = bytes.subarray(0, whole);
      if (bigEndian) {
        body = Buffer.from(body).swap16();
      }
      const text = body.toString("utf16le");
      if (!isWellFormed(text)) {
        const at = loneSurrogateAt(text);
        const unitHex = text.charCodeAt(at).toString(16).toUpperCase();
        fail(callback, decoded + at * 2, `unpaired UTF-16 surrogate 0x${unitHex}`);
        return;
      }
      decoded += whole;
      callback(null, text);
    },
    flush(callback: TransformCallback) {
      if (!carry) {
        callback(null, "");
      } else if (carry.length >= 2) {
        const unit = (bigEndian ? carry.readUInt16BE(0) : carry.readUInt16LE(0)).toString(16);
        fail(callback, decoded, `unpaired UTF-16 surrogate 0x${unit.toUpperCase()} at the end`);
      } else {
        fail(callback, decoded, "odd last byte: UTF-16 text has an even number of bytes");
      }
    },
  });
}

/** 1-based line of the byte at `offset` of a UTF-16 file: line feeds before it, plus one. */
async function utf16LineAt(
  path: string,
  start: number,
  offset: number,
  bigEndian: boolean,
): Promise<number> {
  let line = 1;
  let first = 0;
  let odd = false;
  if (offset <= start) {
    return line;
  }
  const stream = createReadStream(path, { start, end: offset - 1 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    for (const byte of chunk) {
      if (!odd) {
        first = byte;
      } else if ((bigEndian ? (first << 8) | byte : first | (byte << 8)) === 0x0a) {
        line += 1;
      }
      odd = !odd;
    }
  }
  return line;
}

async function utf16Error(
  detected: DetectedEncoding,
  file: string,
  offset: number,
  problem: string,
): Promise<SnapshotFileError> {
  const line = detected.path
    ? `line ${await utf16LineAt(detected.path, detected.bomLength, offset, detected.encoding === "utf-16be")} `
    : "";
  return new SnapshotFileError(
    file,
    detected.source === "stated"
      ? `${line}(byte offset ${offset}): ${problem}, read as ${statedAdvice(detected, file)}`
      : `${line}(byte offset ${offset}): ${problem}; the file is damaged or was cut short. ` +
          "Export it again (as UTF-8 or UTF-16), or repair the text at that place",
  );
}

/**
 * Advice for text that is invalid in the encoding a person stated: the statement, not the file,
 * is then the likely mistake.
 */
function statedAdvice(detected: DetectedEncoding, file: string): string {
  return (
    `${detected.encoding} as stated with --encoding (or options.encoding in mapping.json). ` +
    `The stated encoding is probably wrong: remove the statement for ${file}, or state the ` +
    "encoding the file was written in"
  );
}

/** Position and bytes of the first invalid UTF-8 sequence of a file. */
export interface Utf8Problem {
  /** Byte offset from the start of the file, byte-order mark included. */
  offset: number;
  /** 1-based line and character column of the bad byte. */
  line: number;
  column: number;
  /** Up to 16 bytes either side of the bad byte on its line, with bytes outside ASCII as \xNN. */
  excerpt: string;
}

const EXCERPT_BYTES = 16;

/**
 * Count of continuation bytes after a lead byte, and the range of the first of them. The narrow
 * ranges after 0xE0, 0xED, 0xF0 and 0xF4 exclude overlong forms, surrogates and code points past
 * U+10FFFF. Undefined for a byte that cannot start a sequence.
 */
function sequenceOf(lead: number): [needed: number, low: number, high: number] | undefined {
  if (lead >= 0xc2 && lead <= 0xdf) return [1, 0x80, 0xbf];
  if (lead === 0xe0) return [2, 0xa0, 0xbf];
  if (lead === 0xed) return [2, 0x80, 0x9f];
  if (lead >= 0xe1 && lead <= 0xef) return [2, 0x80, 0xbf];
  if (lead === 0xf0) return [3, 0x90, 0xbf];
  if (lead >= 0xf1 && lead <= 0xf3) return [3, 0x80, 0xbf];
  if (lead === 0xf4) return [3, 0x80, 0x8f];
  return undefined;
}

/**
 * Scan a file for its first invalid UTF-8 sequence. It runs only after the streaming decoder
 * failed, so the byte-by-byte scan costs nothing on files that decode.
 */
export async function locateInvalidUtf8(path: string): Promise<Utf8Problem | undefined> {
  let offset = 0;
  let line = 1;
  let column = 1;
  let lineStart = 0;
  let needed = 0;
  let low = 0x80;
  let high = 0xbf;
  let sequenceStart = 0;
  let sequenceColumn = 1;
  let found: { offset: number; line: number; column: number; lineStart: number } | undefined;

  const stream = createReadStream(path);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const base = offset;
    for (let i = 0; i < chunk.length && !found; i += 1) {
      const byte = chunk[i] ?? 0;
      const at = base + i;
      if (needed > 0) {
        if (byte >= low && byte <= high) {
          needed -= 1;
          low = 0x80;
          high = 0xbf;
          continue;
        }
        found = { offset: sequenceStart, line, column: sequenceColumn, lineStart };
        break;
      }
      if (byte < 0x80) {
        if (byte === 0x0a) {
          line += 1;
          column = 1;
          lineStart = at + 1;
        } else {
          column += 1;
        }
        continue;
      }
      const sequence = sequenceOf(byte);
      if (!sequence) {
        found = { offset: at, line, column, lineStart };
        break;
      }

      [needed, low, high] = sequence;
      sequenceStart = at;
      sequenceColumn = column;
      column += 1;
    }
    offset += chunk.length;
    if (found) {
      stream.destroy();
      break;
    }
  }

  // A sequence cut off by the end of the file.
  if (!found && needed > 0) {
    found = { offset: sequenceStart, line, column: sequenceColumn, lineStart };
  }
  if (!found) {
    return undefined;
  }
  return {
    offset: found.offset,
    line: found.line,
    column: found.column,
    excerpt: await excerptAround(path, found.offset, found.lineStart),
  };
}

/** Bytes around `offset` on its line, printable ASCII as is and every other byte as \xNN. */
async function excerptAround(path: string, offset: number, lineStart: number): Promise<string> {
  const start = Math.max(lineStart, offset - EXCERPT_BYTES);
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.alloc(offset - start + EXCERPT_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
    let text = "";
    for (const byte of buffer.subarray(0, bytesRead)) {
      if (byte === 0x0a || byte === 0x0d) {
        break;
      }
      text +=
        byte >= 0x20 && byte < 0x7f
          ? String.fromCharCode(byte)
          : `\\x${byte.toString(16).padStart(2, "0")}`;
    }
    return text;
  } finally {
    await handle.close();
  }
}

async function invalidUtf8Error(
  detected: DetectedEncoding,
  file: string,
  cause: unknown,
): Promise<SnapshotFileError> {
  const problem = detected.path ? await locateInvalidUtf8(detected.path) : undefined;
  const where = problem
    ? `invalid UTF-8 at byte offset ${problem.offset} (line ${problem.line}, column ${problem.column}): "${problem.excerpt}"`
    : "invalid UTF-8";
  return new SnapshotFileError(
    file,
    detected.source === "stated"
      ? `${where}, read as ${statedAdvice(detected, file)}`
      : `${where}; the file starts as UTF-8 but mixes encodings. Export it again as UTF-8, or ` +
          `give map and audit --encoding ${file}=ENCODING (windows-1254, latin1 …) if it is all in one`,
    { cause },
  );
}
