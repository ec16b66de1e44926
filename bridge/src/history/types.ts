import { createHash } from "node:crypto";
import { canonicalJson } from "../mapping/types.js";

/** Reference to a record by external ID name (module `__import__`). */
export interface XmlIdRef {
  xml_id: string;
}

/** Where a plan row came from in the snapshot. */
export interface RowSource {
  file: string;
  line?: number;
  /** Number of source rows merged into this plan row (consolidated events, delivery rows). */
  rows?: number;
}

/**
 * Rows of the `campaigns` phase. `medium` rows are absent: a campaign names its channel's
 * `utm.medium` by name and the addon matches an existing medium or creates one.
 */
export interface CampaignRow {
  xml_id: string;
  kind: "campaign";
  values: CampaignValues;
  hash: string;
  source: RowSource;
}

export interface CampaignValues {
  title: string;
  netmera_campaign_id: string;
  netmera_notification_key: string | false;
  netmera_channel: string;
  netmera_medium_id: { utm_medium: string };
  netmera_status: string | false;
  netmera_content: string | false;
  netmera_scheduled_at: string | false;
  netmera_schedule: string | false;
  netmera_sent: number;
  netmera_failed: number;
  netmera_delivered: number;
  netmera_opened: number;
  netmera_clicked: number;
  netmera_conversions: number;
  netmera_segment_tag_ids: { xml_ids: string[] };
  netmera_manual_upload: string | false;
}

/** A `mail.activity.type` for one event code whose mapping action is `activity`. */
export interface ActivityTypeRow {
  xml_id: string;
  kind: "activity_type";
  values: { name: string; res_model: string };
  hash: string;
  source: RowSource;
}

/**
 * A chatter message on a contact: `note` is an internal note (message_type `comment`, subtype
 * note), `activity` is a done activity (message_type `notification`, subtype activities, with
 * `mail_activity_type_id`). `date` is UTC in Odoo's `YYYY-MM-DD HH:MM:SS` form.
 */
export interface MessageRow {
  xml_id: string;
  kind: "note" | "activity";
  values: MessageValues;
  hash: string;
  source: RowSource;
}

export interface MessageValues {
  res_id: XmlIdRef;
  date: string;
  subject: string;
  body: string;
  mail_activity_type_id?: XmlIdRef;
}

export type HistoryRow = ActivityTypeRow | MessageRow;

/** sha256 (hex, first 32 characters) of the canonical JSON of a row's values. */
export function valuesHash(values: unknown): string {
  return createHash("sha256").update(canonicalJson(values)).digest("hex").slice(0, 32);
}
