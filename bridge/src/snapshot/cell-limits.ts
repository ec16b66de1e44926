/**
 * Maximum cell length the reader accepts, in UTF-16 characters. An Excel cell contains at most
 * 32,767 characters (Microsoft KB 211878), and Netmera exports (identifiers, names, addresses,
 * attribute values, tag lists) stay far below that, so this limit is twice Excel's. A longer cell
 * is almost always damage, such as a quote left open that swallows the following lines or binary
 * data in a text column. Its value would also go into one Odoo field of each plan row.
 */
export const MAX_CELL_CHARS = 65_536;

/**
 * Maximum row length in characters: sixteen cells at the cell limit. A wide export of a few
 * hundred columns uses a few kilobytes per row (an estimate). The limit also bounds the text the
 * CSV reader keeps while an unfinished row streams in, so memory stays flat past a huge cell.
 */
export const MAX_RECORD_CHARS = 1_048_576;

/** Characters of each cell kept for the quarantine row of a row that is too long. */
export const PREFIX_CHARS = 32;

/** A cell (`column`, 0-based) or a whole row (`column` -1) longer than its limit. */
export interface TooLong {
  column: number;
  length: number;
}

/**
 * Find the first cell over the cell limit, else the row if it is over the row limit. A row's
 * length is its cells' text plus one separator between each two cells, without quotes.
 */
export function findTooLong(cells: readonly (string | undefined)[]): TooLong | undefined {
  let total = 0;
  for (let i = 0; i < cells.length; i += 1) {
    const length = cells[i]?.length ?? 0;
    if (length > MAX_CELL_CHARS) {
      return { column: i, length };
    }
    total += length + (i > 0 ? 1 : 0);
  }
  return total > MAX_RECORD_CHARS ? { column: -1, length: total } : undefined;
}

function count(value: number): string {
  return value.toLocaleString("en-US");
}

/** Build the reason for a row that is too long, naming the column by number and header. */
export function tooLongProblem(headers: readonly string[], tooLong: TooLong): string {
  if (tooLong.column < 0) {
    return (
      `the row holds ${count(tooLong.length)} characters, more than the ` +
      `${count(MAX_RECORD_CHARS)} a row may hold`
    );
  }
  const header = headers[tooLong.column];
  const name = header === undefined ? "no header" : JSON.stringify(header);
  return (
    `column ${tooLong.column + 1} (${name}) holds ${count(tooLong.length)} characters, more ` +
    `than the ${count(MAX_CELL_CHARS)} a cell may hold`
  );
}

/**
 * Build the reason for a JSON record whose value at `field` (a key path such as
 * `profile.name`) feeds one cell and is over the cell limit, in the words a CSV cell gets.
 */
export function tooLongFieldProblem(field: string, length: number): string {
  return (
    `field ${JSON.stringify(field)} holds ${count(length)} characters, more than the ` +
    `${count(MAX_CELL_CHARS)} a cell may hold`
  );
}

/** Return a cell's first characters, marked with an ellipsis when the cell is longer. */
export function cellPrefix(value: string): string {
  return value.length > PREFIX_CHARS ? `${value.slice(0, PREFIX_CHARS)}…` : value;
}

/**
 * Cut the cells of a row that is too long to their prefixes, so that no quarantine row contains
 * a huge value. Only the long cell is cut, or every cell when the whole row is too long.
 */
export function cutCells(cells: (string | undefined)[], tooLong: TooLong): void {
  for (let i = 0; i < cells.length; i += 1) {
    const cell = cells[i];
    if (cell !== undefined && (tooLong.column < 0 || i === tooLong.column)) {
      cells[i] = cellPrefix(cell);
    }
  }
}
