import { Random } from "./random.js";
import { SEGMENTS, type CampaignDefinition } from "./definitions.js";
import type { SampleUser } from "./users.js";

export const PUSH_RESULT_HEADER = [
  "platform",
  "status",
  "errorCode",
  "errorMsg",
  "installationId",
  "extId",
  "timeStamp",
  "msgTitle",
  "msgText",
];

export interface CampaignStats {
  sent: number;
  failed: number;
  delivered: number;
  opened: number;
  clicked: number;
}

export function emptyStats(): CampaignStats {
  return { sent: 0, failed: 0, delivered: 0, opened: 0, clicked: 0 };
}

function targets(campaign: CampaignDefinition, user: SampleUser): boolean {
  return SEGMENTS.some(
    (segment) => campaign.targetSegments.includes(segment.id) && user.segments.has(segment.key),
  );
}

type Row = (string | number)[];

/**
 * Delivery rows of one campaign for one user, one row per delivery event as getPushResult
 * returns them (SUCCESS or FAILED, then DELIVERED, SHOWN, CLICKED). Rows carry the
 * installation id, never the push token.
 */
export function makePushResults(
  seed: string | number,
  campaign: CampaignDefinition,
  user: SampleUser,
  stats: CampaignStats,
): Row[] {
  if (user.extId === null || !targets(campaign, user)) {
    return [];
  }

  const random = new Random(seed, `push:${campaign.notificationKey}`, user.index);
  const start = Date.parse(campaign.schedule.startDate);
  const rows: Row[] = [];
  const add = (platform: string, status: string, installationId: string, offsetMs: number) => {
    const failed = status === "FAILED";
    rows.push([
      platform,
      status,
      failed ? 3 : "",
      failed ? "InvalidRegistration" : "",
      installationId,
      user.extId ?? "",
      start + offsetMs,
      campaign.title,
      campaign.content,
    ]);
  };

  const recipients: { platform: string; installationId: string }[] = [];
  if (campaign.channel === "PUSH" || campaign.channel === "IN_APP") {
    for (const device of user.devices) {
      if (device.pushPermitted) {
        recipients.push({ platform: device.platform, installationId: device.installationId });
      }
    }
  } else if (campaign.channel === "EMAIL" && user.email) {
    recipients.push({ platform: "EMAIL", installationId: "" });
  } else if (campaign.channel === "SMS" && user.msisdn) {
    recipients.push({ platform: "SMS", installationId: "" });
  }

  for (const recipient of recipients) {
    const offset = random.int(0, 300_000);
    stats.sent += 1;
    if (random.chance(0.05)) {
      stats.failed += 1;
      add(recipient.platform, "FAILED", recipient.installationId, offset);
      continue;
    }

    add(recipient.platform, "SUCCESS", recipient.installationId, offset);
    if (random.chance(0.8)) {
      stats.delivered += 1;
      add(recipient.platform, "DELIVERED", recipient.installationId, offset + 2_000);
    }
    if (recipient.platform === "EMAIL" && random.chance(0.4)) {
      stats.opened += 1;
      add(recipient.platform, "SHOWN", recipient.installationId, offset + 3_600_000);
    }
    if (random.chance(0.12)) {
      stats.clicked += 1;
      add(recipient.platform, "CLICKED", recipient.installationId, offset + 3_700_000);
    }
  }

  return rows;
}
