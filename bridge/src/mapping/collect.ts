import { readFile } from "node:fs/promises";
import type { Logger } from "../core/log.js";
import { wallClockAt } from "../normalize/dates.js";
import { eventDefinitionsFileSchema, profileAttributesFileSchema } from "../snapshot/schemas.js";
import {
  deviceFiles,
  openSnapshotTable,
  readJsonFile,
  snapshotPath,
  topLevelTable,
  userFiles,
  type Snapshot,
} from "../snapshot/snapshot.js";
import { parseJsonText } from "../snapshot/json-stream.js";
import { cellValue } from "../snapshot/table.js";
import { eventFiles, readEventRows } from "./event-rows.js";
import type {
  AttributeDefinition,
  ColumnObservation,
  EventDefinitionInfo,
  EventObservation,
  SnapshotObservations,
} from "./observations.js";
import { ValueStats } from "./value-stats.js";

/**
 * (contact, day, event) keys kept for the per-day maximum. When the map is full it starts
 * over, so the maximum is exact for files grouped by contact (as the sample generator writes
 * them) and a lower bound otherwise. NOTE: whether Netmera's FTP event exports are grouped by
 * contact is not documented.
 */
const DAY_COUNTER_LIMIT = 200_000;

/** Values per event attribute whose type is inferred; the rest are only counted. */
export const EVENT_ATTRIBUTE_SAMPLE = 10_000;

/**
 * Parse every top-level JSON file once, so that a file that audit and plan would reject (cut
 * short, UTF-16, a key written twice) stops map too, before a person confirms a mapping of it.
 */
async function checkJsonFiles(snapshot: Snapshot): Promise<void> {
  for (const file of snapshot.files) {
    if (!file.includes("/") && file.toLowerCase().endsWith(".json") && file !== "manifest.json") {
      parseJsonText(await readFile(snapshotPath(snapshot, file), "utf8"), file);
    }
  }
}

/** Read the definitions and stream every user, device and event file once. */
export async function collectObservations(
  snapshot: Snapshot,
  logger: Logger,
): Promise<SnapshotObservations> {
  await checkJsonFiles(snapshot);
  const attributes = await readAttributes(snapshot);
  const observations: SnapshotObservations = {
    timeZone: snapshot.sourceTimeZone,
    files: snapshot.files,
    attributes,
    attributeValues: new Map(),
    attributeFiles: new Map(),
    columns: new Map(),
    eventDefinitions: await readEventDefinitionInfo(snapshot),
    events: new Map(),
    ownerEmails: await readColumnSet(snapshot, "owners", "email", (v) => v.toLowerCase()),
    companyIds: await readColumnSet(snapshot, "companies", "companyId", (v) => v),
  };

  await collectUserColumns(snapshot, observations);
  await collectDeviceColumns(snapshot, observations);
  await collectEvents(snapshot, observations);
  logger.info(
    {
      columns: observations.columns.size,
      attributes: attributes.length,
      eventCodes: observations.events.size,
    },
    "snapshot observed for the mapping",
  );
  return observations;
}

async function readAttributes(snapshot: Snapshot): Promise<AttributeDefinition[]> {
  const file = await readJsonFile(snapshot, "profile-attributes.json", profileAttributesFileSchema);
  if (!file) {
    return [];
  }

  const convert = (standard: boolean) => (a: (typeof file.customProfileAttributes)[number]) => ({
    code: a.code,
    dataType: a.dataType,
    name: a.name ?? a.label ?? undefined,
    isArray: a.isArray === true,
    standard,
  });
  return [
    ...file.standardProfileAttributes.map(convert(true)),
    ...file.customProfileAttributes.map(convert(false)),
  ];
}

async function readEventDefinitionInfo(snapshot: Snapshot): Promise<EventDefinitionInfo[]> {
  const file = await readJsonFile(snapshot, "event-definitions.json", eventDefinitionsFileSchema);
  if (!file) {
    return [];
  }

  const convert = (standard: boolean) => (d: (typeof file.customEvents)[number]) => ({
    code: d.code,
    name: d.name,
    attributeCodes: (d.attributes ?? [])
      .map((a) => (a && typeof a === "object" ? (a as { code?: unknown }).code : undefined))
      .filter((code): code is string => typeof code === "string"),
    standard,
  });
  return [...file.standardEvents.map(convert(true)), ...file.customEvents.map(convert(false))];
}

async function readColumnSet(
  snapshot: Snapshot,
  name: "owners" | "companies",
  meaning: string,
  fold: (value: string) => string,
): Promise<Set<string>> {
  const result = new Set<string>();
  const file = topLevelTable(snapshot, name);
  if (!file) {
    return result;
  }

  const table = await openSnapshotTable(snapshot, file, name);
  const index = table.matched.meanings.indexOf(meaning);
  if (index < 0) {
    return result;
  }
  for await (const row of table.rows()) {
    const value = cellValue(row.cells[index])?.trim();
    if (value) {
      result.add(fold(value));
    }
  }
  return result;
}

function columnFor(
  observations: SnapshotObservations,
  header: string,
  meaning: string,
  file: string,
): ColumnObservation {
  let column = observations.columns.get(header);
  if (!column) {
    column = { header, meaning, files: new Set(), stats: new ValueStats(observations.timeZone) };
    observations.columns.set(header, column);
  }
  column.files.add(file);
  return column;
}

async function collectUserColumns(
  snapshot: Snapshot,
  observations: SnapshotObservations,
): Promise<void> {
  const arrayCodes = new Set(observations.attributes.filter((a) => a.isArray).map((a) => a.code));
  for (const file of userFiles(snapshot)) {
    const definitions = observations.attributes.map((a) => ({ ...a, name: a.name ?? undefined }));
    const table = await openSnapshotTable(snapshot, file, "users", definitions);
    const columns = table.headers.map((header, i) =>
      columnFor(observations, header, table.matched.meanings[i] ?? `column:${header}`, file),
    );
    const attributeStats = columns.map((column) => {
      const code = column.meaning.startsWith("attr:") ? column.meaning.slice(5) : undefined;
      if (!code) {
        return undefined;
      }
      const files = observations.attributeFiles.get(code) ?? new Set<string>();
      files.add(file);
      observations.attributeFiles.set(code, files);
      let stats = observations.attributeValues.get(code);
      if (!stats) {
        stats = new ValueStats(observations.timeZone);
        observations.attributeValues.set(code, stats);
      }
      return { code, stats, isArray: arrayCodes.has(code) };
    });

    for await (const row of table.rows()) {
      row.cells.forEach((raw, i) => {
        const value = cellValue(raw);
        if (value === undefined) {
          return;
        }
        columns[i]?.stats.add(value);
        const attribute = attributeStats[i];
        if (attribute) {
          attribute.stats.add(value);
          if (attribute.isArray) {
            attribute.stats.addArray(value);
          }
        }
      });
    }
  }
}

/** Headers of device files; their values are not read, so push tokens are never touched. */
async function collectDeviceColumns(
  snapshot: Snapshot,
  observations: SnapshotObservations,
): Promise<void> {
  for (const file of deviceFiles(snapshot)) {
    if (file.endsWith(".json") || file.endsWith(".ndjson") || file.endsWith(".jsonl")) {
      continue;
    }
    const table = await openSnapshotTable(snapshot, file, "devices");
    table.headers.forEach((header, i) => {
      columnFor(observations, header, table.matched.meanings[i] ?? `column:${header}`, file);
    });
  }
}

function localDay(timestamp: string, timeZone: string): string {
  if (/^\d{4}-\d{2}-\d{2}/.test(timestamp)) {
    return timestamp.slice(0, 10);
  }
  if (/^-?\d{11,}$/.test(timestamp)) {
    const clock = wallClockAt(Number(timestamp), timeZone);
    return `${clock.year}-${clock.month}-${clock.day}`;
  }
  return timestamp.slice(0, 10);
}

async function collectEvents(
  snapshot: Snapshot,
  observations: SnapshotObservations,
): Promise<void> {
  let perDay = new Map<string, number>();
  for (const file of eventFiles(snapshot)) {
    for await (const row of readEventRows(snapshot, file)) {
      if (!row.code) {
        continue;
      }

      let event = observations.events.get(row.code);
      if (!event) {
        event = {
          code: row.code,
          count: 0,
          files: new Set(),
          maxPerContactDay: 0,
          attributes: new Map(),
        };
        observations.events.set(row.code, event);
      }
      event.count += 1;
      event.files.add(file);
      observeEventAttributes(event, row.attributes, observations.timeZone);

      const contact = row.extId ?? row.installationId;
      if (contact && row.timestamp) {
        if (perDay.size >= DAY_COUNTER_LIMIT) {
          perDay = new Map();
        }
        const key = `${contact}\u0000${localDay(row.timestamp, observations.timeZone)}\u0000${row.code}`;
        const count = (perDay.get(key) ?? 0) + 1;
        perDay.set(key, count);
        event.maxPerContactDay = Math.max(event.maxPerContactDay, count);
      }
    }
  }
}

function observeEventAttributes(
  event: EventObservation,
  attributes: Record<string, unknown> | undefined,
  timeZone: string,
): void {
  for (const [key, value] of Object.entries(attributes ?? {})) {
    let stats = event.attributes.get(key);
    if (!stats) {
      stats = new ValueStats(timeZone, EVENT_ATTRIBUTE_SAMPLE);
      event.attributes.set(key, stats);
    }
    if (value === null || value === undefined) {
      continue;
    }
    const text = typeof value === "object" ? JSON.stringify(value) : String(value);
    stats.add(text);
    if (Array.isArray(value)) {
      stats.addArray(text);
    }
  }
}
