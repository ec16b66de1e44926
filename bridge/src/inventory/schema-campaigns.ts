import { z } from "zod";
import {
  countSchema,
  describeValue,
  firstText,
  idSchema,
  textSchema,
  toCount,
} from "./schema-common.js";

/** Campaigns, segments, the manifest, and the wrapper of list files. */

/**
 * Campaigns are read with the schema of the campaigns phase, so that the inventory shows the
 * same content, targets, metrics and assets that the migration writes to Odoo.
 */
export { campaignSchema } from "../history/campaign-source.js";
export type { Campaign as CampaignDefinition } from "../history/campaign-source.js";

export const segmentSchema = z
  .looseObject({
    id: idSchema,
    name: textSchema.nullish(),
    type: textSchema.nullish(),
    userCount: countSchema.nullish(),
    dynamic: z.boolean().nullish(),
    isDynamic: z.boolean().nullish(),
    kind: textSchema.nullish(),
    rule: z.unknown().optional(),
    ruleText: z.unknown().optional(),
    frozenRule: z.unknown().optional(),
    conditions: z.unknown().optional(),
    definition: z.unknown().optional(),
  })
  .transform((segment) => ({
    id: segment.id,
    name: segment.name ?? segment.id,
    type: segment.type ?? null,
    userCount: toCount(segment.userCount),
    dynamic: segment.dynamic ?? segment.isDynamic ?? segment.kind?.toLowerCase() === "dynamic",
    rule:
      describeValue(
        segment.rule ??
          segment.ruleText ??
          segment.frozenRule ??
          segment.conditions ??
          segment.definition,
      ) || null,
  }));

export type SegmentDefinition = z.output<typeof segmentSchema>;

/** Build the schema of a list file: a bare array or an object that wraps it (`{"list": […]}`). */
export function listFileSchema<T extends z.ZodType>(item: T, wrapperKeys: string[]) {
  return z.union([
    z.array(item),
    z
      .looseObject(Object.fromEntries(wrapperKeys.map((key) => [key, z.array(item).optional()])))
      .refine((wrapper) => wrapperKeys.some((key) => Array.isArray(wrapper[key])), {
        message: `expected an array or an object with one of: ${wrapperKeys.join(", ")}`,
      })
      .transform((wrapper) => {
        const key = wrapperKeys.find((name) => Array.isArray(wrapper[name]));
        return (key ? wrapper[key] : []) as z.output<T>[];
      }),
  ]);
}

const manifestFileSchema = z.union([
  z.string(),
  z.looseObject({ sha256: z.string().nullish(), hash: z.string().nullish() }),
]);

export const manifestSchema = z
  .looseObject({
    app: z
      .union([
        z.string(),
        z.looseObject({ name: textSchema.nullish(), customer: textSchema.nullish() }),
      ])
      .nullish(),
    appName: textSchema.nullish(),
    customer: textSchema.nullish(),
    company: textSchema.nullish(),
    pulledAt: textSchema.nullish(),
    pulled_at: textSchema.nullish(),
    "pulled-at": textSchema.nullish(),
    sourceTimeZone: z.string().nullish(),
    timeZone: z.string().nullish(),
    files: z
      .union([
        z.array(z.looseObject({ path: z.string(), sha256: z.string().nullish() })),
        z.record(z.string(), manifestFileSchema),
      ])
      .nullish(),
  })
  .transform((manifest) => {
    const app = typeof manifest.app === "string" ? { name: manifest.app } : (manifest.app ?? {});
    const hashes = new Map<string, string>();
    if (Array.isArray(manifest.files)) {
      for (const file of manifest.files) {
        if (file.sha256) {
          hashes.set(file.path, file.sha256);
        }
      }
    } else if (manifest.files) {
      for (const [path, entry] of Object.entries(manifest.files)) {
        const hash = typeof entry === "string" ? entry : (entry.sha256 ?? entry.hash);
        if (hash) {
          hashes.set(path, hash);
        }
      }
    }
    return {
      appName: firstText(app.name, manifest.appName),
      customer: firstText(
        "customer" in app ? app.customer : null,
        manifest.customer,
        manifest.company,
      ),
      pulledAt: firstText(manifest.pulledAt, manifest.pulled_at, manifest["pulled-at"]),
      timeZone: manifest.sourceTimeZone ?? manifest.timeZone ?? "Europe/Istanbul",
      hashes,
    };
  });

export type SnapshotManifest = z.output<typeof manifestSchema>;
