import { xmlIdFor } from "../core/xml-id.js";
import type { Mapping } from "../mapping/types.js";
import { CAMPAIGNS_FILE, readCampaigns, type Campaign } from "./campaign-source.js";
import { eventRules } from "./ingest.js";
import { emptyTally, type PhaseOutput, type PhaseTally } from "./phase-io.js";
import type { ZoneClock } from "./time-zone.js";
import { odooDatetime } from "./time-zone.js";
import { parseTimestamp } from "./timestamp.js";
import {
  valuesHash,
  type ActivityTypeRow,
  type CampaignRow,
  type CampaignValues,
  type CampaignsPhaseRow,
} from "./types.js";

/** Model the activity types are created for, so the type list of other models stays as it is. */
const ACTIVITY_TYPE_MODEL = "res.partner";

/**
 * Largest media Netmera serves in campaigns and widgets: images below 1 MB, videos up to 12 MB.
 * Larger files exist only as links and must be uploaded to Odoo by hand, so they are flagged.
 * Megabytes are decimal here, which flags a file of 1,000,001 bytes rather than letting it pass.
 */
export const IMAGE_LIMIT_BYTES = 1_000_000;
export const VIDEO_LIMIT_BYTES = 12_000_000;

/** `utm.medium` name per Netmera channel; the addon reuses a medium of that name if one exists. */
const MEDIUM_NAMES: Record<string, string> = {
  PUSH: "Push Notification",
  WEB_PUSH: "Web Push",
  EMAIL: "Email",
  SMS: "SMS",
  IN_APP: "In-App Message",
  POPUP: "Pop-up",
  WIDGET: "Pop-up",
  WHATSAPP: "WhatsApp",
};

export interface CampaignsPhaseInput {
  snapshotDir: string;
  clock: ZoneClock;
  mapping: Mapping;
  /** Ids of the segments the plan turns into tags; targets outside it are flagged. */
  segmentIds: ReadonlySet<string>;
}

export function mediumName(channel: string): string {
  const known = MEDIUM_NAMES[channel.toUpperCase()];
  if (known) {
    return known;
  }

  return channel
    .toLowerCase()
    .split(/[_\s]+/)
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join(" ");
}

/** External ID of the activity type of an event code mapped to `activity`. */
export function activityTypeXmlId(code: string): string {
  return xmlIdFor("event", code);
}

/**
 * Plan the `campaigns` phase: one `mail.activity.type` per event code mapped to `activity`,
 * then one `utm.campaign` per campaign in `campaigns.json`. Activity types are here rather than
 * in the history phase because they must exist before any history batch, and because a sample
 * run keeps only history rows of sampled contacts but keeps every row they reference.
 */
export async function planCampaignsPhase(
  input: CampaignsPhaseInput,
  output: PhaseOutput<CampaignsPhaseRow>,
): Promise<PhaseTally> {
  const tally = emptyTally();
  await writeActivityTypes(input.mapping, output, tally);

  const { campaigns, issues } = await readCampaigns(input.snapshotDir);
  const badIndexes = new Set(
    issues.filter((issue) => issue.reason.startsWith("row rejected:")).map((issue) => issue.index),
  );
  for (const issue of issues) {
    await output.quarantine({
      file: CAMPAIGNS_FILE,
      line: issue.line ?? "",
      column: `[${issue.index}].${issue.path}`,
      value: issue.value,
      reason: issue.reason,
    });
  }
  tally.read += campaigns.length + badIndexes.size;
  tally.quarantined += badIndexes.size;

  const seen = new Set<string>();
  for (const [index, campaign] of campaigns.entries()) {
    if (seen.has(campaign.id)) {
      await output.quarantine({
        file: CAMPAIGNS_FILE,
        line: "",
        column: "id",
        value: campaign.id,
        reason:
          "row rejected: the id appears more than once; the first campaign with this id is kept",
      });
      tally.quarantined += 1;
      continue;
    }
    seen.add(campaign.id);

    await output.row(await campaignRow(campaign, index, input, output));
    tally.planned += 1;
  }
  return tally;
}

async function writeActivityTypes(
  mapping: Mapping,
  output: PhaseOutput<CampaignsPhaseRow>,
  tally: PhaseTally,
): Promise<void> {
  for (const rule of eventRules(mapping).values()) {
    if (rule.action !== "activity") {
      continue;
    }

    const values = {
      kind: "activity_type" as const,
      name: rule.label,
      res_model: ACTIVITY_TYPE_MODEL,
    };
    const row: ActivityTypeRow = {
      xml_id: activityTypeXmlId(rule.code),
      values,
      hash: valuesHash(values),
    };
    tally.read += 1;
    tally.planned += 1;
    await output.row(row);
  }
}

async function campaignRow(
  campaign: Campaign,
  index: number,
  input: CampaignsPhaseInput,
  output: PhaseOutput<CampaignsPhaseRow>,
): Promise<CampaignRow> {
  const xmlId = xmlIdFor("campaign", campaign.id);
  const segmentXmlIds: string[] = [];
  for (const segmentId of campaign.segmentIds) {
    if (!input.segmentIds.has(segmentId)) {
      await output.flag({
        xml_id: xmlId,
        extid: campaign.id,
        flag: "unknown_segment",
        detail: `campaign "${campaign.name}" targets segment ${segmentId}, which is not in segments.json`,
      });
      continue;
    }
    segmentXmlIds.push(xmlIdFor("segment", segmentId));
  }

  const oversized = oversizedAssets(campaign);
  for (const detail of oversized) {
    await output.flag({ xml_id: xmlId, extid: campaign.id, flag: "manual_upload", detail });
  }

  const values: CampaignValues = {
    kind: "campaign",
    title: campaign.name,
    netmera_campaign_id: campaign.id,
    netmera_notification_key: campaign.notificationKey ?? false,
    netmera_channel: campaign.channel,
    netmera_medium_id: { utm_medium: mediumName(campaign.channel) },
    netmera_status: campaign.status ?? false,
    netmera_content: contentText(campaign) || false,
    netmera_scheduled_at: await scheduledAt(campaign, input.clock, output, xmlId),
    netmera_schedule: scheduleText(campaign, input.clock) || false,
    netmera_sent: campaign.stats.sent,
    netmera_failed: campaign.stats.failed,
    netmera_delivered: campaign.stats.delivered,
    netmera_opened: campaign.stats.opened,
    netmera_clicked: campaign.stats.clicked,
    netmera_conversions: campaign.conversions,
    netmera_segment_tag_ids: { xml_ids: segmentXmlIds },
    netmera_manual_upload: oversized.length > 0 ? oversized.join("\n") : false,
  };
  return {
    xml_id: xmlId,
    values,
    hash: valuesHash(values),
    source: { file: CAMPAIGNS_FILE, line: index + 1 },
  };
}

/** Title, subject and text of the message, one per paragraph, as plain text. */
function contentText(campaign: Campaign): string {
  const parts: string[] = [];
  if (campaign.title) parts.push(`Title: ${campaign.title}`);
  if (campaign.subject) parts.push(`Subject: ${campaign.subject}`);
  if (campaign.text) parts.push(campaign.text);
  return parts.join("\n\n");
}

async function scheduledAt(
  campaign: Campaign,
  clock: ZoneClock,
  output: PhaseOutput<CampaignsPhaseRow>,
  xmlId: string,
): Promise<string | false> {
  const raw = campaign.schedule.sendAt ?? campaign.schedule.startDate;
  if (!raw) {
    return false;
  }

  const parsed = parseTimestamp(raw, clock);
  if (!parsed.ok) {
    await output.flag({
      xml_id: xmlId,
      extid: campaign.id,
      flag: "invalid_schedule",
      detail: `schedule time ${JSON.stringify(raw)} ${parsed.reason}`,
    });
    return false;
  }
  return odooDatetime(parsed.utcMs);
}

/** Readable schedule in the source time zone, e.g. "RECURRING from … to …, every day at 10:00". */
function scheduleText(campaign: Campaign, clock: ZoneClock): string {
  const schedule = campaign.schedule;
  const local = (raw: string | null | undefined): string | undefined => {
    if (!raw) return undefined;
    const parsed = parseTimestamp(raw, clock);
    if (!parsed.ok) return raw;
    return `${clock.localDay(parsed.utcMs)} ${clock.localTime(parsed.utcMs)}`;
  };
  const parts: string[] = [];
  if (schedule.type) parts.push(schedule.type);
  const sendAt = local(schedule.sendAt);
  if (sendAt) parts.push(`at ${sendAt}`);
  const start = local(schedule.startDate);
  if (start) parts.push(`from ${start}`);
  const end = local(schedule.endDate);
  if (end) parts.push(`to ${end}`);
  if (parts.length === 0 && !schedule.recurrence) {
    return "";
  }

  const text = parts.join(" ") + (schedule.recurrence ? `, ${schedule.recurrence}` : "");
  return `${text} (${clock.zone})`;
}

/** List the images over 1 MB and videos over 12 MB, one line each. */
function oversizedAssets(campaign: Campaign): string[] {
  const lines: string[] = [];
  for (const asset of campaign.assets) {
    const type = (asset.type ?? "").toLowerCase();
    const limits: Record<string, number> = { image: IMAGE_LIMIT_BYTES, video: VIDEO_LIMIT_BYTES };
    const limit = limits[type];
    if (limit === undefined || asset.size === undefined || asset.size <= limit) {
      continue;
    }

    const name = asset.name ?? asset.url ?? "unnamed asset";
    const size = (asset.size / 1_000_000).toFixed(1);
    const where = asset.url && asset.url !== name ? ` (${asset.url})` : "";
    lines.push(
      `${type} ${name}${where} is ${size} MB, over the ${limit / 1_000_000} MB limit: upload it by hand`,
    );
  }
  return lines;
}
