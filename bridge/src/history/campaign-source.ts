import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { SnapshotFileError } from "../core/errors.js";
import { locateJsonPath } from "../core/json-location.js";
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
  /** Line of the value in campaigns.json (of the campaign when the value is missing). */
  line: number | undefined;
  value: string;
  /** Starts `row rejected:` when the whole campaign is left out, `value dropped:` otherwise. */
  reason: string;
}

export interface CampaignList {
  campaigns: Campaign[];
  issues: CampaignIssue[];
  /** Line of each rejected campaign, by its id and notification key, for its deliveries. */
  rejected: Map<string, number | undefined>;
}

/**
 * Read `campaigns.json` (an array, or an object with a `campaigns` or `list` array). A missing
 * file means the snapshot has no campaigns. A statistic that is not a count is dropped and the
 * campaign kept; any other invalid value rejects its campaign. Both are reported with the line
 * and path of the value, and the other entries are kept.
 */
export async function readCampaigns(snapshotDir: string): Promise<CampaignList> {
  let text: string;
  try {
    text = await readFile(join(snapshotDir, CAMPAIGNS_FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      return { campaigns: [], issues: [], rejected: new Map() };
    }
    throw new SnapshotFileError(CAMPAIGNS_FILE, "cannot be read", { cause: error });
  }

  const parsed = parseJsonText(text, CAMPAIGNS_FILE);

  const found = campaignEntries(parsed);
  if (!found) {
    throw new SnapshotFileError(
      CAMPAIGNS_FILE,
      'must be an array of campaigns or an object with a "campaigns" or "list" array',
    );
  }

  const { entries, prefix } = found;
  const lineOf = (path: PropertyKey[]) => locateJsonPath(text, [...prefix, ...path])?.line;
  const campaigns: Campaign[] = [];
  const issues: CampaignIssue[] = [];
  const rejected = new Map<string, number | undefined>();
  entries.forEach((entry, index) => {
    const dropped: { path: PropertyKey[]; value: unknown }[] = [];
    const result = campaignSchema.safeParse(withoutBadStatistics(entry, dropped));
    for (const { path, value } of dropped) {
      issues.push({
        index,
        path: path.join("."),
        line: lineOf([index, ...path]),
        value: JSON.stringify(value),
        reason:
          "value dropped: a statistic must be a whole number of 0 or more; the campaign is planned without it",
      });
    }
    if (result.success) {
      campaigns.push(result.data);
      return;
    }

    for (const issue of result.error.issues) {
      const value = valueAt(entry, issue.path);
      issues.push({
        index,
        path: issue.path.join("."),
        line: lineOf([index, ...issue.path]) ?? lineOf([index]),
        value: value === undefined ? "" : JSON.stringify(value),
        reason: `row rejected: ${issue.path.join(".") || "the campaign"} ${describeIssue(issue, value)}`,
      });
    }
    for (const key of ["id", "notificationKey"]) {
      const id = valueAt(entry, [key]);
      if (typeof id === "string" || typeof id === "number") {
        rejected.set(String(id), lineOf([index]));
      }
    }
  });
  return { campaigns, issues, rejected };
}

/** Statistic fields: counts that do not decide what the campaign was. */
const COUNT_KEYS = ["sent", "failed", "delivered", "opened", "clicked"];
const SIZE_KEYS = ["size", "sizeBytes"];

/**
 * Copy a campaign entry without the statistics that are not counts, recording each. One bad
 * count would otherwise reject the campaign and with it every delivery of it.
 */
function withoutBadStatistics(
  entry: unknown,
  dropped: { path: PropertyKey[]; value: unknown }[],
): unknown {
  if (!isRecord(entry)) {
    return entry;
  }

  const clean = (holder: unknown, keys: string[], path: PropertyKey[]): unknown => {
    if (!isRecord(holder)) {
      return holder;
    }
    const copy = { ...holder };
    for (const key of keys) {
      const value = copy[key];
      if (value !== undefined && value !== null && !countSchema.safeParse(value).success) {
        dropped.push({ path: [...path, key], value });
        delete copy[key];
      }
    }
    return copy;
  };
  const cleanList = (list: unknown, keys: string[], path: PropertyKey[]): unknown =>
    Array.isArray(list) ? list.map((item, i) => clean(item, keys, [...path, i])) : list;

  const copy = clean(entry, ["conversions"], []) as Record<string, unknown>;
  copy.stats = Array.isArray(copy.stats)
    ? cleanList(copy.stats, COUNT_KEYS, ["stats"])
    : clean(copy.stats, COUNT_KEYS, ["stats"]);
  copy.assets = cleanList(copy.assets, SIZE_KEYS, ["assets"]);
  return copy;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Zod's message in words a reader of the quarantine file can act on. */
function describeIssue(issue: { code: string; message: string }, value: unknown): string {
  if (value === undefined) {
    return "is missing";
  }
  if (issue.code === "invalid_union") {
    return `has an unexpected type (${Array.isArray(value) ? "array" : typeof value})`;
  }
  return `is invalid: ${issue.message}`;
}

function campaignEntries(
  parsed: unknown,
): { entries: unknown[]; prefix: PropertyKey[] } | undefined {
  if (Array.isArray(parsed)) {
    return { entries: parsed, prefix: [] };
  }

  if (isRecord(parsed)) {
    for (const key of ["campaigns", "list"]) {
      const list = parsed[key];
      if (list !== undefined && list !== null) {
        return Array.isArray(list) ? { entries: list, prefix: [key] } : undefined;
      }
    }
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
