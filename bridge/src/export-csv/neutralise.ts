/**
 * Spreadsheet formula injection: a cell that starts with `=`, `+`, `-` or `@` (or a tab or
 * carriage return before one) is run as a formula when the file is opened in Excel, LibreOffice
 * or Google Sheets. Such cells get a leading apostrophe, which spreadsheets read as "text" and
 * Odoo's importer keeps as part of the value.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** E.164: a plus and 8 to 15 digits, nothing else, so it cannot call a function. */
const E164 = /^\+[1-9]\d{7,14}$/;

/** A plain decimal number, as the exporter writes integer and float values. */
const NUMBER = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i;

/** Kind of a cell for the check: free text, an E.164 phone field, or a numeric field. */
export type CellKind = "text" | "phone" | "number";

/**
 * Neutralise one cell. Phone fields keep E.164 numbers as they are, because `+905321234567`
 * must stay importable and, without letters or brackets, cannot call a function. Numeric
 * fields keep plain numbers, negative ones included. Any other cell that starts like a formula
 * gets a leading `'`.
 */
export function neutraliseCell(text: string, kind: CellKind = "text"): string {
  if (!FORMULA_START.test(text)) {
    return text;
  }
  if (kind === "phone" && E164.test(text)) {
    return text;
  }
  if (kind === "number" && NUMBER.test(text)) {
    return text;
  }
  return `'${text}`;
}
