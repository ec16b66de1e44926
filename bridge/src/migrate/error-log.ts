import { appendFileSync, existsSync } from "node:fs";
import { stringify } from "csv-stringify/sync";
import type { PlanLine } from "./plan-files.js";

/**
 * Rows Odoo rejected, appended to a CSV file beside the plan as their batches commit, so a
 * killed run keeps what it learned. Cells that a spreadsheet would run as a formula get a
 * leading apostrophe.
 */

const HEADER = ["phase", "batch", "xml_id", "field", "message", "source_file", "source_line"];

export interface OdooRowError {
  index: number;
  xml_id: string | false;
  field: string | false;
  message: string;
}

function safeCell(value: unknown): string {
  const text = value === undefined || value === null || value === false ? "" : String(value);
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

export class ErrorLog {
  count = 0;
  /** First few errors, for the summary printed at the end. */
  readonly firstErrors: string[] = [];

  constructor(readonly path: string) {}

  record(phase: string, batchNo: number, items: PlanLine[], errors: OdooRowError[]): void {
    if (errors.length === 0) return;

    const records = errors.map((error) => {
      const item = items[error.index];
      const source = item?.row.source;
      return [
        phase,
        batchNo,
        error.xml_id || item?.row.xml_id,
        error.field,
        error.message,
        source?.file,
        source?.line,
      ].map(safeCell);
    });
    const header = existsSync(this.path) ? [] : [HEADER];
    appendFileSync(this.path, stringify([...header, ...records]));
    this.count += errors.length;
    for (const error of errors) {
      if (this.firstErrors.length >= 5) break;

      const field = error.field ? ` field ${error.field}` : "";
      this.firstErrors.push(
        `${phase} ${error.xml_id || `row ${error.index}`}${field}: ${error.message}`,
      );
    }
  }
}
