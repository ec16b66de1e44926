import { z } from "zod";

/**
 * Shared parts of the schemas of the snapshot's definition files. Netmera has no REST endpoint
 * for journeys, widgets or campaign definitions, so these files come from panel exports or the
 * MCP read functions and their field names vary. Each schema accepts the usual spellings
 * (`name`/`title`, `channel`/`channelType`, `size`/`sizeBytes` …), keeps unknown fields and
 * normalises to one shape. A value of the wrong type is still an error.
 */

export const idSchema = z.union([z.string(), z.number()]).transform(String);
export const textSchema = z.union([z.string(), z.number(), z.boolean()]).transform(String);
export const countSchema = z.union([
  z.number().int().nonnegative(),
  z.string().regex(/^\d+$/, { error: "expected a count (a whole number)" }),
]);
export const byteSizeSchema = z.union([
  z.number().nonnegative(),
  z.string().regex(/^\d+(\.\d+)?$/, { error: "expected a size in bytes" }),
]);

export function firstText(...values: unknown[]): string | null {
  for (const value of values) {
    if (typeof value === "string" && value.trim() !== "") {
      return value;
    }

    if (typeof value === "number" || typeof value === "boolean") {
      return String(value);
    }
  }
  return null;
}

export function toCount(value: unknown): number | null {
  if (typeof value === "number") {
    return value;
  }

  return typeof value === "string" && value !== "" ? Number(value) : null;
}

/**
 * Render a condition, rule or setting as readable text. Netmera exports contain these either
 * as text or as small objects, and objects become `key: value` pairs so that nothing is lost.
 */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) {
    return "";
  }

  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
    return String(value);
  }

  if (Array.isArray(value)) {
    return value.map(describeValue).filter(Boolean).join("; ");
  }

  const duration = describeDuration(value as Record<string, unknown>);
  if (duration) {
    return duration;
  }

  return Object.entries(value as Record<string, unknown>)
    .filter(([, member]) => member !== null && member !== undefined && member !== "")
    .map(([key, member]) => {
      const inner = describeValue(member);
      return typeof member === "object" ? `${key}: (${inner})` : `${key}: ${inner}`;
    })
    .join(", ");
}

/** Describe `{value: 3, unit: "DAY"}` as "3 days", and return null for any other object. */
function describeDuration(value: Record<string, unknown>): string | null {
  const keys = Object.keys(value);
  const amount = value.value ?? value.amount;
  if (
    typeof amount !== "number" ||
    typeof value.unit !== "string" ||
    !keys.every((key) => ["value", "amount", "unit"].includes(key))
  ) {
    return null;
  }

  const unit = value.unit.toLowerCase().replace(/s$/, "");
  return `${amount} ${unit}${amount === 1 ? "" : "s"}`;
}

export function describeList(value: unknown): string[] {
  if (value === null || value === undefined) {
    return [];
  }

  const items = Array.isArray(value) ? value : [value];
  return items.map(describeValue).filter((item) => item !== "");
}

/** Text content of a message: a plain string or an object with title/subject and body. */
export const contentSchema = z
  .union([
    z.string(),
    z.looseObject({
      title: textSchema.nullish(),
      subject: textSchema.nullish(),
      text: textSchema.nullish(),
      message: textSchema.nullish(),
      body: textSchema.nullish(),
      html: textSchema.nullish(),
    }),
  ])
  .nullish()
  .transform((content) => {
    if (content === null || content === undefined) {
      return { title: null, text: null };
    }

    if (typeof content === "string") {
      return { title: null, text: content };
    }

    return {
      title: firstText(content.title, content.subject),
      text: firstText(content.text, content.message, content.body, content.html),
    };
  });

export type MessageContent = z.output<typeof contentSchema>;

export const assetSchema = z
  .looseObject({
    name: textSchema.nullish(),
    fileName: textSchema.nullish(),
    url: textSchema.nullish(),
    type: textSchema.nullish(),
    kind: textSchema.nullish(),
    mimeType: textSchema.nullish(),
    size: byteSizeSchema.nullish(),
    sizeBytes: byteSizeSchema.nullish(),
    bytes: byteSizeSchema.nullish(),
  })
  .transform((asset) => {
    const size = asset.size ?? asset.sizeBytes ?? asset.bytes;
    return {
      name: firstText(asset.name, asset.fileName, asset.url) ?? "(unnamed asset)",
      url: asset.url ?? null,
      declaredType: firstText(asset.type, asset.kind, asset.mimeType),
      sizeBytes: size === null || size === undefined ? null : Number(size),
    };
  });

export type AssetDefinition = z.output<typeof assetSchema>;

export const assetListSchema = z.array(assetSchema).nullish();
