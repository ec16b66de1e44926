import { MAX_CELL_CHARS, PREFIX_CHARS, type TooLong } from "./cell-limits.js";

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** Maximum number of cell prefixes kept, because a damaged row may have millions of delimiters. */
const MAX_KEPT_CELLS = 1_000;

/**
 * Reads past one CSV record that is longer than the row limit (MAX_RECORD_CHARS) without holding it: text is
 * fed in pieces and only counts and the first characters of each cell are kept. The rules are
 * FastCsvScanner's (a field is plain or wholly quoted, records end with LF or CRLF), so the
 * records after it are the same as the scanner would read. In the cases where the scanner hands
 * over to csv-parse (text after a closing quote, a lone CR, a quote open at the end of the file),
 * `handOver` is set. The record is then left to csv-parse, which stops with an error.
 */
export class OverlongRecordSkipper {
  handOver = false;
  /** Line feeds inside quoted fields, for the line numbers of the records after this one. */
  lineFeeds = 0;
  /** Prefixes of the record's cells. */
  readonly cells: string[] = [];
  private readonly delimiter: number;
  private atFieldStart = true;
  private quoted = false;
  private afterQuote = false;
  private afterCr = false;
  private fieldLength = 0;
  private prefix = "";
  private total = 0;
  private fields = 0;
  private long: TooLong | undefined;

  constructor(delimiter: string) {
    this.delimiter = delimiter.charCodeAt(0);
  }

  /** The record's first over-long cell, or the whole record when no single cell is too long. */
  get tooLong(): TooLong {
    return this.long ?? { column: -1, length: this.total };
  }

  /**
   * Read on in `text`, which continues the record, and return the index after the record's end.
   * Returns -1 when all of `text` belongs to the record or `handOver` is set. `final` marks the
   * end of the file.
   */
  feed(text: string, final: boolean): number {
    for (let i = 0; i < text.length; i += 1) {
      const code = text.charCodeAt(i);
      if (this.afterCr) {
        this.afterCr = false;
        if (code === LF) {
          this.endField();
          return i + 1;
        }
        this.handOver = true;
        return -1;
      }
      if (this.afterQuote) {
        this.afterQuote = false;
        if (code === QUOTE) {
          this.add(text, i);
          continue;
        }
        this.quoted = false;
        if (code === this.delimiter) {
          this.endField();
          continue;
        }
        if (code === LF) {
          this.endField();
          return i + 1;
        }
        if (code === CR) {
          this.afterCr = true;
          continue;
        }
        this.handOver = true;
        return -1;
      }
      if (this.atFieldStart) {
        this.atFieldStart = false;
        if (code === QUOTE) {
          this.quoted = true;
          continue;
        }
      }
      if (this.quoted) {
        if (code === QUOTE) {
          this.afterQuote = true;
          continue;
        }
        if (code === LF) {
          this.lineFeeds += 1;
        }
        this.add(text, i);
        continue;
      }
      if (code === this.delimiter) {
        this.endField();
        continue;
      }
      if (code === LF) {
        this.endField();
        return i + 1;
      }
      if (code === CR) {
        this.afterCr = true;
        continue;
      }
      this.add(text, i);
    }
    if (!final) {
      return -1;
    }
    if ((this.quoted && !this.afterQuote) || this.afterCr) {
      this.handOver = true;
      return -1;
    }
    this.endField();
    return text.length;
  }

  private add(text: string, index: number): void {
    this.fieldLength += 1;
    if (this.prefix.length < PREFIX_CHARS) {
      this.prefix += text[index];
    }
  }

  private endField(): void {
    // Counted as findTooLong counts a row in memory: cell text plus one per delimiter.
    this.total += this.fieldLength + (this.fields > 0 ? 1 : 0);
    if (this.long === undefined && this.fieldLength > MAX_CELL_CHARS) {
      this.long = { column: this.fields, length: this.fieldLength };
    }
    if (this.cells.length < MAX_KEPT_CELLS) {
      this.cells.push(this.fieldLength > this.prefix.length ? `${this.prefix}…` : this.prefix);
    }
    this.fields += 1;
    this.fieldLength = 0;
    this.prefix = "";
    this.atFieldStart = true;
  }
}
