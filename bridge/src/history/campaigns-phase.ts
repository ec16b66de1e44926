import { xmlIdFor } from "../core/xml-id.js";
import { CAMPAIGNS_FILE, readCampaigns, type Campaign } from "./campaign-source.js";
import { emptyTally, type PhaseOutput, type PhaseTally } from "./phase-io.js";
import type { ZoneClock } from "./time-zone.js";
import { odooDatetime } from "./time-zone.js";
import { parseTimestamp } from "./timestamp.js";
import { valuesHash, type CampaignRow, type CampaignValues } from "./types.js";

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

/** Plan the `campaigns` phase: one `utm.campaign` row per campaign in `campaigns.json`. */
export async function planCampaignsPhase(
  input: CampaignsPhaseInput,
  output: PhaseOutput<CampaignRow>,
): Promise<PhaseTally> {
  const tally = emptyTally();
  const { campaigns, issues } = await readCampaigns(input.snapshotDir);
  const badIndexes = new Set(issues.map((issue) => issue.index));
  for (const issue of issues) {
    output.quarantine({
      file: CAMPAIGNS_FILE,
      line: "",
      column: `[${issue.index}].${issue.path}`,
      value: issue.value,
      reason: issue.reason,
    });
  }
  tally.read = campaigns.length + badIndexes.size;
  tally.quarantined = badIndexes.size;

  const seen = new Set<string>();
  for (const campaign of campaigns) {
    if (seen.has(campaign.id)) {
      output.quarantine({
        file: CAMPAIGNS_FILE,
        line: "",
        column: "id",
        value: campaign.id,
        reason: "appears more than once; the first campaign with this id is kept",
      });
      tally.quarantined += 1;
      continue;
    }
    seen.add(campaign.id);

    await output.row(campaignRow(campaign, input, output));
    tally.planned += 1;
  }
  return tally;
}

function campaignRow(
  campaign: Campaign,
  input: CampaignsPhaseInput,
  output: PhaseOutput<CampaignRow>,
): CampaignRow {
  const xmlId = xmlIdFor("campaign", campaign.id);
  const segmentXmlIds: string[] = [];
  for (const segmentId of campaign.segmentIds) {
    if (!input.segmentIds.has(segmentId)) {
      output.flag({
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
    output.flag({ xml_id: xmlId, extid: campaign.id, flag: "manual_upload", detail });
  }

  const values: CampaignValues = {
    title: campaign.name,
    netmera_campaign_id: campaign.id,
    netmera_notification_key: campaign.notificationKey ?? false,
    netmera_channel: campaign.channel,
    netmera_medium_id: { utm_medium: mediumName(campaign.channel) },
    netmera_status: campaign.status ?? false,
    netmera_content: contentText(campaign) || false,
    netmera_scheduled_at: scheduledAt(campaign, input.clock, output, xmlId),
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
    kind: "campaign",
    values,
    hash: valuesHash(values),
    source: { file: CAMPAIGNS_FILE },
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

function scheduledAt(
  campaign: Campaign,
  clock: ZoneClock,
  output: PhaseOutput<CampaignRow>,
  xmlId: string,
): string | false {
  const raw = campaign.schedule.sendAt ?? campaign.schedule.startDate;
  if (!raw) {
    return false;
  }

  const parsed = parseTimestamp(raw, clock);
  if (!parsed.ok) {
    output.flag({
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

/** One line per image over 1 MB or video over 12 MB. */
function oversizedAssets(campaign: Campaign): string[] {
  const lines: string[] = [];
  for (const asset of campaign.assets) {
    const type = (asset.type ?? "").toLowerCase();
    const limit =
      type === "image" ? IMAGE_LIMIT_BYTES : type === "video" ? VIDEO_LIMIT_BYTES : undefined;
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
