import { basename, extname } from "node:path";
import type { Campaign } from "./campaign-source.js";
import { matchDeliveryColumns } from "./columns.js";
import { quarantine, type IngestContext, type TableLike } from "./ingest.js";
import { addSkipped } from "./phase-io.js";
import { parseTimestamp } from "./timestamp.js";

/** Campaign key of a push-results file without a campaign column: its name without extension. */
export function campaignKeyOfFile(file: string): string {
  return basename(file, extname(file));
}

/** Stage the delivery rows of one push-results table. */
export async function ingestDeliveryTable(
  table: TableLike,
  campaigns: Map<string, Campaign>,
  context: IngestContext,
): Promise<void> {
  const columns = matchDeliveryColumns(table.file, table.headers);
  const fileId = context.registry.register(table.file, table.headers[columns.user]!);
  const fileKey = campaignKeyOfFile(table.file);
  for await (const row of table.rows()) {
    const cell = (index: number | undefined): string =>
      index === undefined ? "" : (row.cells[index] ?? "").trim();
    await stageDelivery(context, table.file, fileId, row.line, row.problem, {
      campaignKey: cell(columns.campaign) || fileKey,
      campaignColumn: columns.campaign === undefined ? "" : table.headers[columns.campaign]!,
      extId: row.cells[columns.user] ?? "",
      time: cell(columns.time),
      timeColumn: table.headers[columns.time]!,
      status: cell(columns.status),
      platform: cell(columns.platform),
      error: cell(columns.error),
      campaigns,
    });
  }
}

/** Stage the delivery records of one push-results JSON file (`getPushResult` rows). */
export async function ingestDeliveryRecords(
  file: string,
  records: AsyncIterable<{ line: number; value: unknown }>,
  campaigns: Map<string, Campaign>,
  context: IngestContext,
): Promise<void> {
  const fileId = context.registry.register(file, "extId");
  const fileKey = campaignKeyOfFile(file);
  for await (const record of records) {
    const value = (record.value ?? {}) as Record<string, unknown>;
    const text = (key: string): string =>
      value[key] === undefined || value[key] === null ? "" : String(value[key]).trim();
    const campaignKey = text("notificationKey") || text("campaignId") || fileKey;
    await stageDelivery(context, file, fileId, record.line, undefined, {
      campaignKey,
      campaignColumn: text("notificationKey") ? "notificationKey" : "",
      extId: text("extId") || text("externalId"),
      time: text("timeStamp") || text("timestamp"),
      timeColumn: "timeStamp",
      status: text("status"),
      platform: text("platform"),
      error: text("errorMsg") || text("errorMessage"),
      campaigns,
    });
  }
}

interface DeliveryFields {
  campaignKey: string;
  campaignColumn: string;
  extId: string;
  time: string;
  timeColumn: string;
  status: string;
  platform: string;
  error: string;
  campaigns: Map<string, Campaign>;
}

async function stageDelivery(
  context: IngestContext,
  file: string,
  fileId: number,
  line: number,
  problem: string | undefined,
  fields: DeliveryFields,
): Promise<void> {
  context.tally.read += 1;
  if (problem) {
    await quarantine(context, file, line, "", "", problem);
    return;
  }

  const campaign = fields.campaigns.get(fields.campaignKey);
  if (!campaign) {
    const rejectedAt = context.rejectedCampaigns?.get(fields.campaignKey);
    const reason = context.rejectedCampaigns?.has(fields.campaignKey)
      ? `its campaign was rejected (campaigns.json${rejectedAt ? ` line ${rejectedAt}` : ""}; see that quarantine row)`
      : "names no campaign in campaigns.json (by id or notificationKey)";
    await quarantine(
      context,
      file,
      line,
      fields.campaignColumn || "(file name)",
      fields.campaignKey,
      reason,
    );
    return;
  }

  const extId = fields.extId.trim();
  if (!extId) {
    addSkipped(context.tally, "no external ID (anonymous installation)");
    return;
  }

  const time = parseTimestamp(fields.time, context.clock);
  if (!time.ok) {
    await quarantine(context, file, line, fields.timeColumn, fields.time, time.reason);
    return;
  }

  context.staging.addDelivery({
    campaign: campaign.id,
    extId,
    status: fields.status || "UNKNOWN",
    utcMs: time.utcMs,
    platform: fields.platform,
    error: fields.error,
    fileId,
    line,
  });
}
