import { SnapshotFileError } from "../core/errors.js";

/** Delimiters Netmera's panel and FTP exports offer (comma, semicolon, pipe, tilde, caret) and tab. */
export const DELIMITERS = [",", ";", "|", "~", "^", "\t"] as const;
export type Delimiter = (typeof DELIMITERS)[number];

const SAMPLE_LINES = 20;

/**
 * Message for a file without a header line. A pulled snapshot's manifest lists every file, so
 * deleting one there fails the manifest check. The message therefore points at the exports folder.
 */
export const EMPTY_FILE =
  "is empty (no header line). An export of a segment without members can be an empty file: " +
  "remove it from the exports folder and run pull again, or delete it from a snapshot that has " +
  "no manifest.json";

/**
 * Split text into its first lines, honouring double quotes so that a quoted line break stays
 * inside its field. Returns the lines as raw text.
 */
function firstLines(text: string, count: number): string[] {
  const lines: string[] = [];
  let inQuotes = false;
  let start = 0;
  for (let i = 0; i < text.length && lines.length < count; i += 1) {
    const char = text[i];
    if (char === '"') {
      inQuotes = !inQuotes;
    } else if ((char === "\n" || char === "\r") && !inQuotes) {
      lines.push(text.slice(start, i));
      if (char === "\r" && text[i + 1] === "\n") {
        i += 1;
      }
      start = i + 1;
    }
  }
  if (lines.length < count && start < text.length) {
    // The last line may be cut off by the sample; it is still useful for counting.
    lines.push(text.slice(start));
  }
  return lines.filter((line) => line.trim() !== "");
}

/** Occurrences of each candidate delimiter outside double quotes. */
function countOutsideQuotes(line: string): Map<Delimiter, number> {
  const counts = new Map<Delimiter, number>();
  let inQuotes = false;
  for (const char of line) {
    if (char === '"') {
      inQuotes = !inQuotes;
      continue;
    }
    if (!inQuotes && (DELIMITERS as readonly string[]).includes(char)) {
      counts.set(char as Delimiter, (counts.get(char as Delimiter) ?? 0) + 1);
    }
  }
  return counts;
}

function describe(delimiter: Delimiter): string {
  return delimiter === "\t" ? "tab" : `"${delimiter}"`;
}

/**
 * Characters that separate fields in some exports but are not supported delimiters: colon,
 * hash, broken pipe (an FTP export option), slash, backslash and a few more. Header names
 * rarely contain them, so one in a header without a supported delimiter is taken as an
 * unsupported delimiter rather than as part of a single column's name.
 */
const UNSUPPORTED_SEPARATORS = [":", "#", "\u00a6", "/", "\\", "!", "$", "%", "&", "*", "=", "+"];

const SUPPORTED_LIST = '"," ";" "|" "~" "^" and tab';

function unsupportedSeparator(header: string): string | undefined {
  let inQuotes = false;
  for (const char of header) {
    if (char === '"') {
      inQuotes = !inQuotes;
    } else if (!inQuotes && UNSUPPORTED_SEPARATORS.includes(char)) {
      return char;
    }
  }
  return undefined;
}

/**
 * Choose the delimiter from the header line. When the header holds more than one candidate,
 * the data lines decide: the candidate that gives every sampled line the header's field count
 * wins. A file whose header has no candidate at all is a one-column file, unless its header
 * contains an unsupported separator such as `:` or `#`, which is rejected.
 */
export function detectDelimiter(sample: string, file: string): Delimiter {
  const lines = firstLines(sample, SAMPLE_LINES + 1);
  const header = lines[0];
  if (header === undefined) {
    throw new SnapshotFileError(file, EMPTY_FILE);
  }
  const headerCounts = countOutsideQuotes(header);
  const candidates = [...headerCounts.keys()];
  if (candidates.length === 0) {
    const seen = unsupportedSeparator(header);
    if (seen !== undefined) {
      throw new SnapshotFileError(
        file,
        `line 1 has one column but contains "${seen}", which looks like a field delimiter; ` +
          `supported delimiters are ${SUPPORTED_LIST}, so export the file again with one of them`,
      );
    }
    return ",";
  }
  if (candidates.length === 1) {
    return candidates[0] as Delimiter;
  }
  const dataLines = lines.slice(1, SAMPLE_LINES + 1);
  const consistent = candidates.filter((candidate) => {
    const expected = headerCounts.get(candidate) ?? 0;
    return (
      dataLines.length > 0 &&
      dataLines.every((line) => (countOutsideQuotes(line).get(candidate) ?? 0) === expected)
    );
  });
  if (consistent.length === 1) {
    return consistent[0] as Delimiter;
  }
  const found = candidates
    .map((candidate) => `${describe(candidate)} ×${headerCounts.get(candidate)}`)
    .join(", ");
  throw new SnapshotFileError(
    file,
    `cannot tell the delimiter: the header line contains ${found}` +
      (dataLines.length === 0
        ? " and there are no data lines to decide"
        : " and the data lines fit more than one of them or none") +
      "; quote header names that contain a delimiter character",
  );
}

/**
 * Read the `sep=X` line that Excel writes before the header of a CSV file to name its
 * delimiter. Returns that delimiter, or undefined when the first line is no such directive.
 */
export function delimiterDirective(sample: string, file: string): Delimiter | undefined {
  const match = /^sep=(.?)[ ]*(?:\r\n|\n|\r|$)/i.exec(sample);
  if (!match) {
    return undefined;
  }
  const named = match[1] ?? "";
  if (!(DELIMITERS as readonly string[]).includes(named)) {
    throw new SnapshotFileError(
      file,
      `line 1: "sep=${named}" names the delimiter ${JSON.stringify(named)}, which is not ` +
        `supported; use one of ${DELIMITERS.map(describe).join(", ")}`,
    );
  }
  return named as Delimiter;
}
