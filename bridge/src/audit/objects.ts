import { extname } from "node:path";
import { z } from "zod";
import { eventDefinitionsFileSchema } from "../snapshot/schemas.js";
import { readDevices } from "../snapshot/records.js";
import { streamJsonRecords } from "../snapshot/json-stream.js";
import {
  deviceFiles,
  folderOf,
  readJsonFile,
  readSegments,
  snapshotPath,
  topLevelTable,
  type Snapshot,
} from "../snapshot/snapshot.js";
import { openTable } from "../snapshot/table.js";
import { eventFiles, readEventRows } from "../mapping/event-rows.js";
import { ValueStats } from "../mapping/value-stats.js";
import type { AuditReport } from "./types.js";

/** Values per event attribute whose type is sampled. */
const EVENT_ATTRIBUTE_SAMPLE = 1_000;
const IMAGE_LIMIT = 1_000_000;
const VIDEO_LIMIT = 12_000_000;
const ASSET_LIMITS: Record<string, number> = { image: IMAGE_LIMIT, video: VIDEO_LIMIT };

function compareText(a: string, b: string): number {
  if (a === b) {
    return 0;
  }
  return a < b ? -1 : 1;
}

export async function auditPushTokens(snapshot: Snapshot): Promise<AuditReport["pushTokens"]> {
  const result: AuditReport["pushTokens"] = {
    installations: 0,
    withPushToken: 0,
    pushPermitted: 0,
    byPlatform: {},
  };
  for (const file of deviceFiles(snapshot)) {
    // readDevices reports only whether a token was present; the token itself never leaves it.
    for await (const device of readDevices(snapshot, file)) {
      if (device.problem) {
        continue;
      }
      result.installations += 1;
      if (device.hasPushToken) {
        result.withPushToken += 1;
      }
      if (device.pushPermitted) {
        result.pushPermitted += 1;
      }
      const platform = device.platform?.toUpperCase() ?? "UNKNOWN";
      result.byPlatform[platform] = (result.byPlatform[platform] ?? 0) + 1;
    }
  }
  return result;
}

/** Name the type of an event attribute for the audit's schema sample. */
function typeOf(stats: ValueStats): string {
  const n = stats.values;
  if (n === 0) {
    return "empty";
  }
  if (stats.jsonArrays === n) {
    return "array";
  }
  if (stats.booleans === n) {
    return "boolean";
  }
  if (stats.integers === n) {
    return "integer";
  }
  if (stats.integers + stats.decimals === n) {
    return "number";
  }
  if (stats.dates === n) {
    return "date";
  }
  if (stats.dates + stats.dateTimes === n) {
    return "datetime";
  }
  if (stats.integers + stats.decimals > 0) {
    return "mixed";
  }
  return "string";
}

export async function auditEvents(snapshot: Snapshot): Promise<AuditReport["events"]> {
  const definitions = await readJsonFile(
    snapshot,
    "event-definitions.json",
    eventDefinitionsFileSchema,
  );
  const defined = new Set(
    [...(definitions?.standardEvents ?? []), ...(definitions?.customEvents ?? [])].map(
      (d) => d.code,
    ),
  );
  const codes = new Map<string, { count: number; attributes: Map<string, ValueStats> }>();
  const result: AuditReport["events"] = { total: 0, withoutUser: 0, badAttributes: 0, codes: [] };
  for (const file of eventFiles(snapshot)) {
    for await (const row of readEventRows(snapshot, file)) {
      result.total += 1;
      if (!row.extId && !row.installationId) {
        result.withoutUser += 1;
      }
      if (row.problem) {
        result.badAttributes += 1;
      }
      const code = row.code ?? "(no code)";
      let entry = codes.get(code);
      if (!entry) {
        entry = { count: 0, attributes: new Map() };
        codes.set(code, entry);
      }
      entry.count += 1;
      for (const [key, value] of Object.entries(row.attributes ?? {})) {
        let stats = entry.attributes.get(key);
        if (!stats) {
          stats = new ValueStats(snapshot.sourceTimeZone, EVENT_ATTRIBUTE_SAMPLE);
          entry.attributes.set(key, stats);
        }
        if (value !== null && value !== undefined) {
          stats.add(typeof value === "object" ? JSON.stringify(value) : String(value));
        }
      }
    }
  }

  result.codes = [...codes.entries()]
    .sort(([a], [b]) => compareText(a, b))
    .map(([code, entry]) => ({
      code,
      count: entry.count,
      defined: defined.has(code),
      attributes: [...entry.attributes.entries()]
        .sort(([a], [b]) => compareText(a, b))
        .map(([key, stats]) => ({ key, type: typeOf(stats), values: stats.seen })),
    }));
  return result;
}

const campaignsFileSchema = z.union([
  z.looseObject({ campaigns: z.array(z.looseObject({})) }).transform((file) => file.campaigns),
  z.looseObject({ list: z.array(z.looseObject({})) }).transform((file) => file.list),
  z.array(z.looseObject({})),
]);

const listFileSchema = (key: string) =>
  z.union([
    z.looseObject({ [key]: z.array(z.unknown()) }).transform((file) => file[key] as unknown[]),
    z.array(z.unknown()),
  ]);

const assetSchema = z.looseObject({
  type: z.string().optional(),
  sizeBytes: z.number().optional(),
  size: z.number().optional(),
  name: z.string().optional(),
});

async function countRows(snapshot: Snapshot, file: string): Promise<number> {
  let rows = 0;
  if ([".json", ".ndjson", ".jsonl"].includes(extname(file).toLowerCase())) {
    for await (const record of streamJsonRecords(snapshotPath(snapshot, file), file)) {
      void record;
      rows += 1;
    }
    return rows;
  }

  const table = await openTable(snapshotPath(snapshot, file), file, snapshot.logger);
  for await (const row of table.rows()) {
    void row;
    rows += 1;
  }
  return rows;
}

export async function auditCampaigns(snapshot: Snapshot): Promise<AuditReport["campaigns"]> {
  const campaigns = (await readJsonFile(snapshot, "campaigns.json", campaignsFileSchema)) ?? [];
  const result: AuditReport["campaigns"] = {
    total: campaigns.length,
    byChannel: {},
    oversizedAssets: [],
    pushResultRows: 0,
  };
  for (const campaign of campaigns) {
    const channel = String(campaign.channel ?? campaign.type ?? "UNKNOWN").toUpperCase();
    result.byChannel[channel] = (result.byChannel[channel] ?? 0) + 1;
    const assets = Array.isArray(campaign.assets) ? campaign.assets : [];
    for (const raw of assets) {
      const asset = assetSchema.safeParse(raw);
      if (!asset.success) {
        continue;
      }
      const size = asset.data.sizeBytes ?? asset.data.size ?? 0;
      const type = (asset.data.type ?? "").toLowerCase();
      const limit = ASSET_LIMITS[type];
      if (limit !== undefined && size > limit) {
        const name = String(campaign.name ?? campaign.id ?? "");
        result.oversizedAssets.push({ campaign: name, type, sizeBytes: size });
      }
    }
  }

  for (const file of snapshot.files.filter((f) => folderOf(f) === "push-results")) {
    result.pushResultRows += await countRows(snapshot, file);
  }
  return result;
}

/** Number of records in each definition file, for the counts table. */
export async function countDefinitions(snapshot: Snapshot): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  counts.segments = (await readSegments(snapshot)).length;
  for (const key of ["journeys", "widgets", "surveys"]) {
    counts[key] = ((await readJsonFile(snapshot, `${key}.json`, listFileSchema(key))) ?? []).length;
  }
  for (const name of ["owners", "companies"]) {
    const file = topLevelTable(snapshot, name);
    counts[name] = file ? await countRows(snapshot, file) : 0;
  }
  counts.tags = new Set(snapshot.files.filter((f) => folderOf(f) === "tags")).size;
  return counts;
}
