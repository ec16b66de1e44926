import type { Readable } from "node:stream";
import type { Entry, ZipFile } from "yauzl";
import { SnapshotFileError } from "../core/errors.js";

/**
 * Maximum stretch of a workbook's XML without `<` or `>` that the reader passes to ExcelJS,
 * which keeps a whole text node in memory before it returns the cell. A cell of 65,536
 * characters, the maximum before its row is rejected (cell-limits.ts), takes up to 8 bytes per
 * character even as numeric character references (`&#65535;`), so 512 KiB. Excel itself stores
 * up to 32,767 characters in a cell. A longer stretch is no cell that plan would keep, and
 * reading it costs memory in proportion to its size.
 */
export const MAX_XML_TEXT_BYTES = 1 << 20;

const LESS_THAN = 0x3c;
const GREATER_THAN = 0x3e;

/** Position of the first `<` or `>` at or after `from`, or -1. */
function nextMarkup(chunk: Buffer, from: number): number {
  const open = chunk.indexOf(LESS_THAN, from);
  const close = chunk.indexOf(GREATER_THAN, from);
  if (open < 0) return close;
  if (close < 0) return open;
  return Math.min(open, close);
}

/**
 * Tracker of the stretch of bytes since the last `<` or `>` across the chunks of one XML part.
 * A chunk that cannot take the stretch past the limit costs two scans from its end, so the
 * common case stays cheap on large worksheets.
 */
export class TextRunGuard {
  private run = 0;
  private offset = 0;

  constructor(private readonly limit = MAX_XML_TEXT_BYTES) {}

  /** Byte offset in the part where a stretch past the limit begins, or -1 while none has. */
  feed(chunk: Buffer): number {
    const start = this.offset;
    this.offset += chunk.length;
    if (this.run + chunk.length <= this.limit) {
      const last = Math.max(chunk.lastIndexOf(LESS_THAN), chunk.lastIndexOf(GREATER_THAN));
      this.run = last < 0 ? this.run + chunk.length : chunk.length - 1 - last;
      return -1;
    }
    let at = 0;
    for (;;) {
      const markup = nextMarkup(chunk, at);
      const end = markup < 0 ? chunk.length : markup;
      if (this.run + (end - at) > this.limit) {
        return start + at - this.run;
      }
      if (markup < 0) {
        this.run += end - at;
        return -1;
      }
      this.run = 0;
      at = markup + 1;
    }
  }
}

function openDecoded(zip: ZipFile, entry: Entry): Promise<Readable> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (error, stream) => {
      if (error || !stream) {
        reject(error ?? new Error(`failed to read zip entry ${entry.fileName}`));
        return;
      }
      resolve(stream);
    });
  });
}

/** Deflated (8) and stored (0) entries are the ones this reader can inflate itself. */
function isCheckedPart(entry: Entry): boolean {
  return (
    entry.fileName.toLowerCase().endsWith(".xml") &&
    (entry.compressionMethod === 0 || entry.compressionMethod === 8)
  );
}

/**
 * Read every XML part of a workbook once, inflated, and reject the file when a part contains a
 * stretch of text longer than `MAX_XML_TEXT_BYTES`. This runs before ExcelJS reads the workbook,
 * because its reader gets the file through `pipe`, which does not pass on an error, so a failure
 * in the middle of its read would leave it waiting.
 */
export async function checkXlsxTextRuns(
  zip: ZipFile,
  entries: Entry[],
  file: string,
): Promise<void> {
  for (const entry of entries.filter(isCheckedPart)) {
    const guard = new TextRunGuard();
    const stream = await openDecoded(zip, entry);
    for await (const chunk of stream) {
      const at = guard.feed(chunk as Buffer);
      if (at >= 0) {
        stream.destroy();
        throw new SnapshotFileError(
          file,
          `${entry.fileName} contains more than ${MAX_XML_TEXT_BYTES.toLocaleString("en-US")} ` +
            `bytes of text without markup, from byte ${at.toLocaleString("en-US")} of that part: ` +
            "far more than a cell can hold; Excel stores at most 32,767 characters in a cell, so the " +
            "workbook is damaged or was not written by a spreadsheet program. Export the data " +
            "as CSV, or open and save the workbook again",
        );
      }
    }
  }
}
