import { fullXmlId, xmlIdFor } from "../core/xml-id.js";
import { countOf, formatCount, formatDateTime, viewAsset, type AssetView } from "./format.js";
import type { CampaignDefinition } from "./schema-campaigns.js";
import { describeValue } from "./schema-common.js";
import type { SegmentLookup } from "./view-sections.js";

export interface SegmentTarget {
  id: string;
  name: string | null;
  tagXmlId: string | null;
}

export interface CampaignView {
  id: string;
  name: string;
  channel: string;
  status: string | null;
  title: string | null;
  text: string | null;
  schedule: string | null;
  utmXmlId: string;
  segments: SegmentTarget[];
  metrics: { label: string; value: string }[];
  assets: AssetView[];
  flaggedAssets: number;
  flaggedLabel: string;
}

const metricLabels = {
  sent: "Sent",
  delivered: "Delivered",
  opened: "Opened",
  failed: "Failed",
  clicked: "Clicked",
} as const;

/** Schedule as one line, with its dates in the source time zone. */
function describeSchedule(schedule: CampaignDefinition["schedule"], timeZone: string): string {
  const parts: string[] = [];
  if (schedule.type) {
    parts.push(schedule.type);
  }

  const dates: [string, string | null | undefined][] = [
    ["send at", schedule.sendAt],
    ["from", schedule.startDate],
    ["until", schedule.endDate],
  ];
  for (const [label, value] of dates) {
    if (value) {
      parts.push(`${label} ${formatDateTime(value, timeZone)}`);
    }
  }

  if (schedule.recurrence) {
    parts.push(`repeats ${describeValue(schedule.recurrence)}`);
  }
  return parts.join(", ");
}

export function viewCampaign(
  campaign: CampaignDefinition,
  segments: SegmentLookup,
  timeZone: string,
): CampaignView {
  const assets = campaign.assets.map((asset) =>
    viewAsset({
      name: asset.name ?? asset.url ?? "(unnamed asset)",
      url: asset.url ?? null,
      declaredType: asset.type ?? null,
      sizeBytes: asset.size ?? null,
    }),
  );
  const metrics: CampaignView["metrics"] = (
    Object.keys(metricLabels) as (keyof typeof metricLabels)[]
  ).map((name) => ({
    label: metricLabels[name],
    value: formatCount(campaign.stats[name]),
  }));
  metrics.push({ label: "Conversions", value: formatCount(campaign.conversions) });

  const flagged = assets.filter((asset) => asset.overLimit).length;
  return {
    id: campaign.id,
    name: campaign.name,
    channel: campaign.channel,
    status: campaign.status ?? null,
    title: campaign.title ?? campaign.subject ?? null,
    text: campaign.text ?? null,
    schedule: describeSchedule(campaign.schedule, timeZone) || null,
    utmXmlId: fullXmlId(xmlIdFor("campaign", campaign.id)),
    segments: campaign.segmentIds.map((id) => {
      const segment = segments.get(id);
      return {
        id,
        name: segment?.name ?? null,
        tagXmlId: segment ? fullXmlId(xmlIdFor("segment", id)) : null,
      };
    }),
    metrics,
    assets,
    flaggedAssets: flagged,
    flaggedLabel: countOf(flagged, "flagged asset"),
  };
}
