import { normalizeArray } from "../normalize/arrays.js";
import { normalizeBoolean } from "../normalize/enums.js";
import { normalizeDate, normalizeDateTime } from "../normalize/dates.js";

/** Distinct values kept per source; above it only the count "more than this" is known. */
export const DISTINCT_LIMIT = 200;

/** Odoo `char` fields are proposed up to this length; longer values get a `text` field. */
export const CHAR_MAX_LENGTH = 255;

/** Largest integer an Odoo `integer` field (PostgreSQL int4) stores. */
export const INT4_MAX = 2_147_483_647;

const INTEGER = /^[+-]?\d+$/;
/**
 * Numbers with a decimal point or comma, with or without grouping in either convention
 * (`1,234.5`, `1.234,5`); the plan decides each file's convention from its values.
 */
const DECIMAL = /^[+-]?(\d{1,3}(\.\d{3})+(,\d+)?|\d{1,3}(,\d{3})+(\.\d+)?|\d+[.,]\d+|\d+|[.,]\d+)$/;
/** ISO dates and date-times, dd.MM.yyyy, and epoch milliseconds of 11 to 13 digits (at least 115 days from 1970-01-01). */
const DATE_SHAPED = /^(\d{4}-\d{2}-\d{2}|\d{1,2}\.\d{1,2}\.\d{4}|-?\d{11,13}$)/;
/** A time of day written after an ISO or dotted date: `T14:30`, ` 09:15:00.250`. */
const WRITTEN_TIME = /[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?/;

/**
 * True when a date-shaped text carries a time of day other than midnight. normalizeDate takes
 * the calendar date of such a text, so it would count as a date and a column of them would be
 * proposed as a date field, losing every time.
 */
function carriesTimeOfDay(text: string): boolean {
  const match = WRITTEN_TIME.exec(text);
  return match !== null && match.slice(1).some((part) => part !== undefined && /[1-9]/.test(part));
}
const BOOLEAN_WORDS = new Set(["true", "false", "yes", "no", "evet", "hayır", "hayir"]);

/**
 * Shape of the values of one column, attribute or event attribute, in memory that does not grow
 * with the number of values: counters plus at most `DISTINCT_LIMIT` distinct values. Values
 * never leave this object except as counts and as the distinct set used for id matching.
 */
export class ValueStats {
  /** Every value added, including those past the sample limit. */
  seen = 0;
  /** Values classified (at most the sample limit); the shares below are of this number. */
  values = 0;
  maxLength = 0;
  multiline = 0;
  integers = 0;
  largeIntegers = 0;
  decimals = 0;
  booleans = 0;
  dates = 0;
  dateTimes = 0;
  jsonArrays = 0;
  readonly distinct = new Set<string>();
  distinctOverflow = false;
  readonly arrayItems = new Set<string>();
  arrayItemsOverflow = false;
  maxArrayItems = 0;

  constructor(
    private readonly timeZone: string,
    private readonly sampleLimit = Number.POSITIVE_INFINITY,
  ) {}

  add(raw: string): void {
    this.seen += 1;
    if (this.values >= this.sampleLimit) {
      return;
    }

    const text = raw.trim();
    this.values += 1;
    this.maxLength = Math.max(this.maxLength, text.length);
    if (/[\r\n]/.test(text)) {
      this.multiline += 1;
    }

    this.remember(this.distinct, text, () => (this.distinctOverflow = true));
    this.classify(text);
  }

  /** Record the items of an array value (JSON text or a delimited list). */
  addArray(raw: string): void {
    if (this.values >= this.sampleLimit) {
      return;
    }

    const parsed = normalizeArray(raw);
    if (!parsed.ok) {
      return;
    }

    this.maxArrayItems = Math.max(this.maxArrayItems, parsed.value.length);
    for (const item of parsed.value) {
      this.remember(this.arrayItems, item, () => (this.arrayItemsOverflow = true));
    }
  }

  /** Number of distinct values, or `DISTINCT_LIMIT + 1` when there are more than the limit. */
  get distinctCount(): number {
    return this.distinctOverflow ? DISTINCT_LIMIT + 1 : this.distinct.size;
  }

  get distinctArrayItems(): number {
    return this.arrayItemsOverflow ? DISTINCT_LIMIT + 1 : this.arrayItems.size;
  }

  private remember(set: Set<string>, value: string, overflow: () => void): void {
    if (set.has(value)) {
      return;
    }
    if (set.size >= DISTINCT_LIMIT) {
      overflow();
      return;
    }
    set.add(value);
  }

  private classify(text: string): void {
    if (text.startsWith("[") && text.endsWith("]")) {
      this.jsonArrays += 1;
    }
    if (BOOLEAN_WORDS.has(text.toLowerCase()) && normalizeBoolean(text).ok) {
      this.booleans += 1;
    }

    if (INTEGER.test(text)) {
      this.integers += 1;
      if (Math.abs(Number(text)) > INT4_MAX) {
        this.largeIntegers += 1;
      }
    } else if (DECIMAL.test(text)) {
      this.decimals += 1;
    }

    // Only text shaped like a date reaches the (slower) date parsers.
    if (!DATE_SHAPED.test(text)) {
      return;
    }
    if (!carriesTimeOfDay(text) && normalizeDate(text, this.timeZone).ok) {
      this.dates += 1;
    } else if (normalizeDateTime(text, this.timeZone).ok) {
      this.dateTimes += 1;
    }
  }
}
