import { extname } from "node:path";
import { SnapshotFileError } from "../core/errors.js";
import { foldKey } from "../normalize/text.js";
import { streamJsonRecords } from "../snapshot/json-stream.js";
import { inFolder, snapshotPath, type Snapshot } from "../snapshot/snapshot.js";
import { cellValue, openTable } from "../snapshot/table.js";

/** One row of an event export, as far as the mapping and the audit need it. */
export interface EventRow {
  file: string;
  line: number;
  extId?: string;
  installationId?: string;
  code?: string;
  timestamp?: string;
  /** Attribute object, parsed from JSON text; undefined when absent or not an object. */
  attributes?: Record<string, unknown>;
  /** Set when the attributes cell is not a JSON object. */
  problem?: string;
}

const TABLE_EXTENSIONS = new Set([".csv", ".txt", ".tsv", ".xlsx"]);
const JSON_EXTENSIONS = new Set([".json", ".ndjson", ".jsonl"]);

/** Header spellings per meaning, folded; FTP "Event Data" headers are not documented. */
const EVENT_HEADERS: Record<keyof Omit<EventRow, "file" | "line" | "problem">, string[]> = {
  extId: ["externalid", "extid", "userid", "user", "customerid", "hariciid"],
  installationId: ["installationid", "installation"],
  code: ["eventcode", "event", "code", "eventname", "eventkey"],
  timestamp: ["timestamp", "time", "eventtime", "date", "createdat", "eventdate", "ts"],
  attributes: ["attributes", "params", "parameters", "properties", "eventattributes", "data"],
};

/** Event files: everything under `events/` (any letter case) that is a table or a JSON file. */
export function eventFiles(snapshot: Snapshot): string[] {
  return inFolder(snapshot.files, "events", new Set([...TABLE_EXTENSIONS, ...JSON_EXTENSIONS]));
}

function parseAttributes(raw: unknown): { attributes?: Record<string, unknown>; problem?: string } {
  if (raw === undefined || raw === null || raw === "") {
    return {};
  }
  if (typeof raw === "object" && !Array.isArray(raw)) {
    return { attributes: raw as Record<string, unknown> };
  }
  if (typeof raw !== "string") {
    return { problem: "attributes are not a JSON object" };
  }

  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
      return { attributes: parsed as Record<string, unknown> };
    }
  } catch {
    // Reported below with the cell's position.
  }
  return { problem: "attributes are not a JSON object" };
}

function pickText(record: Record<string, unknown>, keys: string[]): string | undefined {
  for (const [key, value] of Object.entries(record)) {
    if (keys.includes(foldKey(key)) && value !== null && value !== undefined && value !== "") {
      return String(value);
    }
  }
  return undefined;
}

/** Stream the rows of one event file (CSV, XLSX, JSON or NDJSON). */
export async function* readEventRows(snapshot: Snapshot, file: string): AsyncGenerator<EventRow> {
  const extension = extname(file).toLowerCase();
  if (JSON_EXTENSIONS.has(extension)) {
    for await (const record of streamJsonRecords(snapshotPath(snapshot, file), file)) {
      const value = (record.value ?? {}) as Record<string, unknown>;
      const rawAttributes = Object.entries(value).find(([key]) =>
        EVENT_HEADERS.attributes.includes(foldKey(key)),
      )?.[1];
      yield {
        file,
        line: record.line,
        extId: pickText(value, EVENT_HEADERS.extId),
        installationId: pickText(value, EVENT_HEADERS.installationId),
        code: pickText(value, EVENT_HEADERS.code),
        timestamp: pickText(value, EVENT_HEADERS.timestamp),
        ...parseAttributes(rawAttributes),
      };
    }
    return;
  }

  const table = await openTable(snapshotPath(snapshot, file), file, snapshot.logger);
  const folded = table.headers.map((header) => foldKey(header));
  const at = (meaning: keyof typeof EVENT_HEADERS) =>
    folded.findIndex((header) => EVENT_HEADERS[meaning].map(foldKey).includes(header));
  const columns = {
    extId: at("extId"),
    installationId: at("installationId"),
    code: at("code"),
    timestamp: at("timestamp"),
    attributes: at("attributes"),
  };
  if (columns.code < 0) {
    throw new SnapshotFileError(
      file,
      `has no event code column (headers: ${table.headers.join(", ")}); expected one of eventCode, event, code`,
    );
  }

  const cell = (cells: (string | undefined)[], index: number) =>
    index >= 0 ? cellValue(cells[index])?.trim() : undefined;
  for await (const row of table.rows()) {
    yield {
      file,
      line: row.line,
      extId: cell(row.cells, columns.extId),
      installationId: cell(row.cells, columns.installationId),
      code: cell(row.cells, columns.code),
      timestamp: cell(row.cells, columns.timestamp),
      ...parseAttributes(cell(row.cells, columns.attributes)),
      ...(row.problem ? { problem: row.problem } : {}),
    };
  }
}
