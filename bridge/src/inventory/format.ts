// The campaigns phase flags the same assets as `manual_upload`. Sharing its limits (images
// over 1 MB, videos over 12 MB) keeps the inventory and the plan's flags in agreement.
import { IMAGE_LIMIT_BYTES, VIDEO_LIMIT_BYTES } from "../history/campaigns-phase.js";
import type { AssetDefinition } from "./schema-common.js";

const numberFormat = new Intl.NumberFormat("en-US");

/** Format a count with thousands separators ("18,402"), or an em dash for null. */
export function formatCount(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : numberFormat.format(value);
}

/** "1 survey", "3 surveys", "1,240 contacts": a formatted count with its noun. */
export function countOf(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${formatCount(count)} ${count === 1 ? noun : pluralNoun}`;
}

/** Decimal megabytes, as Netmera's asset limits and the campaigns phase count them. */
const MEGABYTE = 1_000_000;

/** Format a byte size in MB with one decimal ("2.0 MB") or in KB below one MB. */
export function formatBytes(bytes: number | null): string {
  if (bytes === null) {
    return "size unknown";
  }

  if (bytes >= MEGABYTE) {
    return `${(bytes / MEGABYTE).toFixed(1)} MB`;
  }
  return `${Math.ceil(bytes / 1000)} KB`;
}

/**
 * Format a timestamp from the snapshot in the source time zone ("1 July 2024, 09:30"). Text
 * that is not a date is returned as it is, so nothing from the source is hidden.
 */
export function formatDateTime(value: string | null, timeZone: string): string | null {
  if (value === null) {
    return null;
  }

  const date = /^\d{12,}$/.test(value) ? new Date(Number(value)) : new Date(value);
  if (Number.isNaN(date.getTime())) {
    return value;
  }

  return new Intl.DateTimeFormat("en-GB", {
    timeZone,
    day: "numeric",
    month: "long",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  }).format(date);
}

export type AssetKind = "image" | "video" | "other";

export interface AssetView {
  name: string;
  url: string | null;
  kind: AssetKind;
  size: string;
  /** Reason the asset needs attention, or null. */
  flag: string | null;
  /** True when the asset is over Netmera's limit for its kind (counted as flagged). */
  overLimit: boolean;
}

function assetKind(asset: AssetDefinition): AssetKind {
  const hint = `${asset.declaredType ?? ""} ${asset.name} ${asset.url ?? ""}`.toLowerCase();
  if (/video|\.(mp4|mov|m4v|webm|avi)\b/.test(hint)) {
    return "video";
  }

  if (/image|gif|\.(png|jpe?g|webp|svg|bmp)\b/.test(hint)) {
    return "image";
  }
  return "other";
}

/** Describe an asset and flag it when it is over Netmera's limit for its kind. */
export function viewAsset(asset: AssetDefinition): AssetView {
  const kind = assetKind(asset);
  const size = asset.sizeBytes;
  let flag: string | null = null;
  if (kind === "image" && size !== null && size > IMAGE_LIMIT_BYTES) {
    flag = "image over 1 MB";
  } else if (kind === "video" && size !== null && size > VIDEO_LIMIT_BYTES) {
    flag = "video over 12 MB";
  } else if (kind !== "other" && size === null) {
    flag = "size unknown; check it by hand";
  }

  const overLimit = flag !== null && size !== null;
  return { name: asset.name, url: asset.url, kind, size: formatBytes(size), flag, overLimit };
}
