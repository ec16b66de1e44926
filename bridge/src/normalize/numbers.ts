import { accept, reject, type Normalized } from "./result.js";

/**
 * How a column writes numbers: `point` is `1,234.5` (decimal point, comma grouping), `comma` is
 * `1.234,5` (decimal comma, point grouping, as Turkish spreadsheets write them).
 */
export type NumberFormat = "point" | "comma";

const POINT = 1;
const COMMA = 2;

const PLAIN = /^[+-]?\d+$/;
const POINT_FORM = /^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$/;
const COMMA_FORM = /^[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?$/;

/** Formats (bit set of POINT and COMMA) that can read a value; 0 when none can. */
function formatsFor(text: string): number {
  if (PLAIN.test(text)) {
    return POINT | COMMA;
  }
  return (POINT_FORM.test(text) ? POINT : 0) | (COMMA_FORM.test(text) ? COMMA : 0);
}

function hasSeparator(text: string): boolean {
  return text.includes(".") || text.includes(",");
}

/**
 * Decides one column's number format from all of its values, so that `1.234` is never guessed
 * silently: a value such as `1.5` or `1.234,5` settles the format, and a column whose values
 * fit both formats only because every separated value has three digits after it is ambiguous.
 */
export class NumberFormatDetector {
  private ambiguousExample: string | undefined;
  private readonly settled = {
    point: { count: 0, example: "" },
    comma: { count: 0, example: "" },
  };

  observe(raw: string): void {
    const text = raw.trim();
    const formats = formatsFor(text);
    if (formats === 0) {
      return;
    }
    if (formats === POINT || formats === COMMA) {
      const settled = formats === POINT ? this.settled.point : this.settled.comma;
      settled.count += 1;
      settled.example ||= text;
    } else if (hasSeparator(text)) {
      this.ambiguousExample ??= text;
    }
  }

  /**
   * The column's format, or the reason no format can be chosen. When both formats occur, one
   * that settles at least MAJORITY times as many values wins. The other values are dropped one
   * by one when they are parsed, and closer counts are rejected for the whole column.
   */
  decide(): Normalized<NumberFormat> {
    const { point, comma } = this.settled;
    if (point.count > 0 && comma.count === 0) {
      return accept("point");
    }
    if (comma.count > 0 && point.count === 0) {
      return accept("comma");
    }
    if (point.count > 0 && comma.count > 0) {
      if (point.count >= MAJORITY * comma.count) {
        return accept("point");
      }
      if (comma.count >= MAJORITY * point.count) {
        return accept("comma");
      }
      return reject(
        `mixes number formats: ${point.count} value(s) such as "${point.example}" use a decimal ` +
          `point and ${comma.count} such as "${comma.example}" a decimal comma`,
      );
    }
    if (this.ambiguousExample) {
      return reject(
        `has numbers such as "${this.ambiguousExample}" that read as a decimal or as thousands ` +
          "in the two formats, and no value settles which format the column uses",
      );
    }
    // Only plain integers (or no numbers at all): both formats read them the same way.
    return accept("point");
  }
}

/** How many times more values one number format must settle than the other to be chosen. */
const MAJORITY = 10;

/**
 * Number formats per file and column. Files come from different exports (a Turkish
 * spreadsheet writes `1.234,5`, the API `1234.5`), so each file's column is decided on its own
 * values: one file that uses a decimal comma neither settles nor spoils the format of the same
 * column in another file. A file whose column stays ambiguous gets a reason that names it.
 */
export class NumberFormatTable {
  private readonly detectors = new Map<string, NumberFormatDetector>();
  private readonly decided = new Map<string, Normalized<NumberFormat>>();

  private static key(file: string, meaning: string): string {
    return `${file}\u0000${meaning}`;
  }

  observe(file: string, meaning: string, raw: string): void {
    const key = NumberFormatTable.key(file, meaning);
    let detector = this.detectors.get(key);
    if (!detector) {
      detector = new NumberFormatDetector();
      this.detectors.set(key, detector);
    }
    detector.observe(raw);
  }

  /** List every decided format as file, meaning and format, for a table in another thread. */
  decisions(): [file: string, meaning: string, format: Normalized<NumberFormat>][] {
    return [...this.detectors.keys()].map((key) => {
      const [file, meaning] = key.split("\u0000") as [string, string];
      return [file, meaning, this.formatOf(file, meaning)];
    });
  }

  /** Build a table that returns formats decided elsewhere (see `decisions`). */
  static fromDecisions(
    decisions: [file: string, meaning: string, format: Normalized<NumberFormat>][],
  ): NumberFormatTable {
    const table = new NumberFormatTable();
    for (const [file, meaning, format] of decisions) {
      table.decided.set(NumberFormatTable.key(file, meaning), format);
    }
    return table;
  }

  /** Return the format of `meaning` in `file`; a column never observed there reads as `point`. */
  formatOf(file: string, meaning: string): Normalized<NumberFormat> {
    const key = NumberFormatTable.key(file, meaning);
    let format = this.decided.get(key);
    if (format === undefined) {
      const detector = this.detectors.get(key);
      const decision = detector ? detector.decide() : accept<NumberFormat>("point");
      format = decision.ok ? decision : reject(`in ${file} ${decision.reason}`);
      this.decided.set(key, format);
    }
    return format;
  }
}

/** Parse one number in a column format decided by `NumberFormatDetector`. */
export function parseNumber(raw: string, format: NumberFormat): Normalized<number> {
  const text = raw.trim();
  const formats = formatsFor(text);
  const wanted = format === "point" ? POINT : COMMA;
  if ((formats & wanted) === 0) {
    return reject(
      format === "point"
        ? "is not a number in the column's format (like 1,234.5)"
        : "is not a number in the column's format (like 1.234,5)",
    );
  }
  const canonical =
    format === "point" ? text.replace(/,/g, "") : text.replace(/\./g, "").replace(",", ".");
  const value = Number(canonical);
  if (!Number.isFinite(value)) {
    return reject("is not a finite number");
  }
  return accept(value);
}

/** Range of Odoo's `fields.Integer`, a PostgreSQL `int4` column. */
export const ODOO_INTEGER_MIN = -2_147_483_648;
export const ODOO_INTEGER_MAX = 2_147_483_647;

/** Parse an integer; a decimal part other than zeros is rejected rather than rounded. */
export function parseInteger(raw: string, format: NumberFormat): Normalized<number> {
  const parsed = parseNumber(raw, format);
  if (!parsed.ok) {
    return parsed;
  }
  if (!Number.isInteger(parsed.value)) {
    return reject("is not a whole number (the field is an integer field)");
  }
  if (parsed.value < ODOO_INTEGER_MIN || parsed.value > ODOO_INTEGER_MAX) {
    return reject(
      `is outside the range of an Odoo integer field (${ODOO_INTEGER_MIN} to ${ODOO_INTEGER_MAX})`,
    );
  }
  return parsed;
}
