import { createHash } from "node:crypto";
import { canonicalJson } from "../mapping/types.js";

/** Reference to a record by external ID name (module `__import__`). */
export interface XmlIdRef {
  xml_id: string;
}

/**
 * Where a plan row came from in the snapshot: file and line (for JSON files, the entry's
 * position in its list), and how many source rows were merged into it.
 */
export interface RowSource {
  file: string;
  line: number;
  rows?: number;
}

/**
 * Plan rows of the campaigns and history phases. Each phase writes more than one model, so
 * `values.kind` names the row's kind, as it does in the schema phase; the addon removes it
 * before writing.
 */
export interface PlanRowOf<Values> {
  xml_id: string;
  values: Values;
  hash: string;
  source?: RowSource;
}

/**
 * A campaign. Its channel's `utm.medium` is named, not referenced: the addon matches an
 * existing medium of that name or creates one.
 */
export type CampaignRow = PlanRowOf<CampaignValues>;

export interface CampaignValues {
  kind: "campaign";
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
export type ActivityTypeRow = PlanRowOf<{ kind: "activity_type"; name: string; res_model: string }>;

export type CampaignsPhaseRow = ActivityTypeRow | CampaignRow;

/**
 * A chatter message on a contact: `note` is an internal note (message_type `comment`, subtype
 * note), `activity` is a done activity (message_type `notification`, subtype activities, with
 * `mail_activity_type_id`). `date` is UTC in Odoo's `YYYY-MM-DD HH:MM:SS` form.
 */
export type MessageRow = PlanRowOf<MessageValues>;

export interface MessageValues {
  kind: "note" | "activity";
  res_id: XmlIdRef;
  date: string;
  subject: string;
  body: string;
  mail_activity_type_id?: XmlIdRef;
}

/** sha256 (hex, first 32 characters) of the canonical JSON of a row's values. */
export function valuesHash(values: unknown): string {
  return createHash("sha256").update(canonicalJson(values)).digest("hex").slice(0, 32);
}
