import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { SnapshotFileError } from "../core/errors.js";
import { parseJsonText } from "../snapshot/json-stream.js";

export const CAMPAIGNS_FILE = "campaigns.json";

const idSchema = z.union([z.string().min(1), z.number()]).transform(String);
const countSchema = z.coerce.number().int().nonnegative();
const optionalText = z.string().nullish();

const statsSchema = z.looseObject({
  platform: optionalText,
  sent: countSchema.optional(),
  failed: countSchema.optional(),
  delivered: countSchema.optional(),
  opened: countSchema.optional(),
  clicked: countSchema.optional(),
});

const assetSchema = z.looseObject({
  name: optionalText,
  type: optionalText,
  url: optionalText,
  /** Size in bytes; exports name it `size` or `sizeBytes`. */
  size: z.coerce.number().nonnegative().optional(),
  sizeBytes: z.coerce.number().nonnegative().optional(),
});

const contentSchema = z.union([
  z.string(),
  z.looseObject({ title: optionalText, subject: optionalText, text: optionalText }),
]);

/**
 * One campaign as the snapshot stores it: the panel definition plus the statistics of
 * `getPushStats`. Two layouts occur: content as text beside a top-level `title`, or as an
 * object with `title`/`subject`/`text`; statistics as one object or as one entry per platform;
 * targets under `segments` or `targetSegments`. Unknown fields are kept and ignored.
 */
export const campaignSchema = z
  .looseObject({
    id: idSchema,
    notificationKey: idSchema.nullish(),
    name: z.string().min(1),
    channel: z.string().min(1).default("PUSH"),
    status: optionalText,
    title: optionalText,
    subject: optionalText,
    content: contentSchema.nullish(),
    schedule: z
      .looseObject({
        type: optionalText,
        sendAt: optionalText,
        startDate: optionalText,
        endDate: optionalText,
        recurrence: optionalText,
      })
      .nullish(),
    segments: z.array(idSchema).nullish(),
    targetSegments: z.array(idSchema).nullish(),
    stats: z.union([statsSchema, z.array(statsSchema)]).nullish(),
    conversions: countSchema.nullish(),
    assets: z.array(assetSchema).nullish(),
  })
  .transform((raw) => {
    const content = typeof raw.content === "string" ? { text: raw.content } : (raw.content ?? {});
    let statList = raw.stats ?? [];
    if (!Array.isArray(statList)) {
      statList = [statList];
    }
    const total = (key: "sent" | "failed" | "delivered" | "opened" | "clicked"): number =>
      statList.reduce((sum, stat) => sum + (stat[key] ?? 0), 0);
    return {
      id: raw.id,
      notificationKey: raw.notificationKey ?? undefined,
      name: raw.name,
      channel: raw.channel.toUpperCase(),
      status: raw.status ?? undefined,
      title: raw.title || content.title || undefined,
      subject: raw.subject || content.subject || undefined,
      text: content.text || undefined,
      schedule: raw.schedule ?? {},
      segmentIds: [...(raw.segments ?? []), ...(raw.targetSegments ?? [])],
      stats: {
        sent: total("sent"),
        failed: total("failed"),
        delivered: total("delivered"),
        opened: total("opened"),
        clicked: total("clicked"),
      },
      conversions: raw.conversions ?? 0,
      assets: (raw.assets ?? []).map((asset) => ({
        name: asset.name ?? undefined,
        type: asset.type ?? undefined,
        url: asset.url ?? undefined,
        size: asset.size ?? asset.sizeBytes,
      })),
    };
  });

export type Campaign = z.output<typeof campaignSchema>;

export interface CampaignIssue {
  index: number;
  path: string;
  value: string;
  reason: string;
}

export interface CampaignList {
  campaigns: Campaign[];
  issues: CampaignIssue[];
}

/**
 * Read `campaigns.json` (an array, or an object with a `campaigns` or `list` array). A missing
 * file means the snapshot has no campaigns; an entry that fails validation is reported with its
 * index and path, and the other entries are kept.
 */
export async function readCampaigns(snapshotDir: string): Promise<CampaignList> {
  let text: string;
  try {
    text = await readFile(join(snapshotDir, CAMPAIGNS_FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      return { campaigns: [], issues: [] };
    }
    throw new SnapshotFileError(CAMPAIGNS_FILE, "cannot be read", { cause: error });
  }

  const parsed = parseJsonText(text, CAMPAIGNS_FILE);

  const entries = campaignEntries(parsed);
  if (!entries) {
    throw new SnapshotFileError(
      CAMPAIGNS_FILE,
      'must be an array of campaigns or an object with a "campaigns" or "list" array',
    );
  }

  const campaigns: Campaign[] = [];
  const issues: CampaignIssue[] = [];
  entries.forEach((entry, index) => {
    const result = campaignSchema.safeParse(entry);
    if (result.success) {
      campaigns.push(result.data);
      return;
    }

    for (const issue of result.error.issues) {
      const value = valueAt(entry, issue.path);
      issues.push({
        index,
        path: issue.path.join("."),
        value: value === undefined ? "" : JSON.stringify(value),
        reason: issue.message,
      });
    }
  });
  return { campaigns, issues };
}

function campaignEntries(parsed: unknown): unknown[] | undefined {
  if (Array.isArray(parsed)) {
    return parsed;
  }

  if (parsed && typeof parsed === "object") {
    const record = parsed as Record<string, unknown>;
    const list = record.campaigns ?? record.list;
    return Array.isArray(list) ? list : undefined;
  }

  return undefined;
}

function valueAt(entry: unknown, path: PropertyKey[]): unknown {
  let current: unknown = entry;
  for (const key of path) {
    if (current === null || typeof current !== "object") {
      return undefined;
    }
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** Index of campaigns by `id` and by `notificationKey`, for matching delivery rows. */
export function indexCampaigns(campaigns: Campaign[]): Map<string, Campaign> {
  const index = new Map<string, Campaign>();
  for (const campaign of campaigns) {
    index.set(campaign.id, campaign);
    if (campaign.notificationKey) {
      index.set(campaign.notificationKey, campaign);
    }
  }
  return index;
}
