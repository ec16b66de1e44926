import { createHash } from "node:crypto";
import { z } from "zod";
import { MappingUnconfirmedError } from "../core/errors.js";
import { ENCODING_CHOICES, parseEncodingName } from "../snapshot/encoding.js";

/**
 * The mapping.json format: one entry per snapshot column, profile attribute, event code or
 * definition file, each with its Odoo target. `map` proposes it, a person confirms it, and
 * `plan` and every command that writes to Odoo read it.
 */

export const MAPPING_VERSION = 1;

/** Default for `settings.eventConsolidationThreshold`: events per (contact, day, event code). */
export const DEFAULT_EVENT_CONSOLIDATION_THRESHOLD = 10;

/** Separator of array values written into one char field (`options.arrayHandling: "joined"`). */
export const DEFAULT_ARRAY_SEPARATOR = ";";

export const sourceKindSchema = z.enum(["column", "attribute", "event", "file"]);

/** Odoo field types (`ir.model.fields.ttype`) the bridge writes. */
export const odooFieldTypeSchema = z.enum([
  "char",
  "text",
  "html",
  "integer",
  "float",
  "boolean",
  "date",
  "datetime",
  "selection",
  "many2one",
  "many2many",
]);

/**
 * What happens to the source: `create` a new `x_netmera_*` field (for a file: create records of
 * `model`), write an `existing` field, turn values into `tag`s (res.partner.category), write a
 * chatter `note` or a done `activity`, or `skip` it (with the reason in `reason`).
 */
export const targetActionSchema = z.enum(["create", "existing", "tag", "note", "activity", "skip"]);

export const mappingSourceSchema = z.object({
  kind: sourceKindSchema,
  /** Column header, attribute code, event code or snapshot-relative file path. */
  name: z.string().min(1),
  /**
   * Meaning of a column as the snapshot reader matched its header: `extId`, `email`,
   * `deviceModel` …, `attr:<code>` for a profile attribute (whose own entry then decides the
   * target), or `column:<header>` for a header that matches nothing known.
   */
  meaning: z.string().optional(),
  /** Snapshot-relative files the source was seen in (columns and events). */
  files: z.array(z.string()).optional(),
  /** Netmera `dataType` of an attribute (`STRING`, `INTEGER`, `DATE` …) as published. */
  dataType: z.string().optional(),
  isArray: z.boolean().optional(),
  /** Display name from the attribute or event definition. */
  label: z.string().optional(),
});

export const mappingTargetSchema = z.object({
  model: z.string().min(1),
  /** Odoo field name; null for `note`, `activity` and `skip`, which write no field. */
  field: z.string().nullable(),
  type: odooFieldTypeSchema.nullable(),
  action: targetActionSchema,
  /** Options of a `selection` field as Odoo stores them: [value, label] pairs. */
  selection: z.array(z.tuple([z.string(), z.string()])).optional(),
});

export const mappingOptionsSchema = z.object({
  /** How an array attribute lands: one tag per value, or values joined into one char field. */
  arrayHandling: z.enum(["tags", "joined"]).optional(),
  /** The event carries survey or form answers: question as title, answer as body. */
  survey: z.boolean().optional(),
  /** Per-event override of `settings.eventConsolidationThreshold`. */
  consolidationThreshold: z.number().int().positive().optional(),
  /** Text encoding of a file entry's file (`latin1`, `windows-1254` …), stated by a person. */
  encoding: z
    .string()
    .min(1)
    .refine((name) => parseEncodingName(name) !== undefined, {
      error: `is not a known encoding; use one of ${ENCODING_CHOICES.join(", ")}`,
    })
    .optional(),
});

/** Odoo models that mapping targets may name: the ones plan and migrate write or read. */
export const TARGET_MODELS = new Set([
  "res.partner",
  "res.partner.category",
  "res.users",
  "mail.message",
  "mail.activity",
  "utm.campaign",
  "ir.model.fields",
]);
/** An Odoo field name, and the `x_` name of a field the addon creates. */
const FIELD_NAME = /^[a-z_][a-z0-9_]*$/;
const CUSTOM_FIELD_NAME = /^x_[a-z0-9_]+$/;

export const mappingEntrySchema = z
  .object({
    source: mappingSourceSchema,
    target: mappingTargetSchema,
    confidence: z.number().min(0).max(1),
    /** One line that explains why this target was chosen. */
    reason: z.string(),
    /** True when a person should look at this entry before confirming. */
    review: z.boolean(),
    options: mappingOptionsSchema.optional(),
  })
  // An edited target must still be one that plan can write: a field created on contacts has an
  // x_ name, and no name may carry characters that Odoo's field names cannot have.
  .superRefine(({ source, target }, context) => {
    const contactValue = source.kind === "column" || source.kind === "attribute";
    if (
      contactValue &&
      target.action !== "skip" &&
      target.model !== "res.partner" &&
      target.model !== "res.partner.category"
    ) {
      context.addIssue({
        code: "custom",
        path: ["target", "model"],
        message: `${source.kind === "attribute" ? "an attribute" : "a column"} goes to contacts (res.partner) or their tags (res.partner.category), not to ${target.model}`,
      });
    } else if (!TARGET_MODELS.has(target.model)) {
      context.addIssue({
        code: "custom",
        path: ["target", "model"],
        message: `model "${target.model}" is not supported; use one of ${[...TARGET_MODELS].join(", ")}`,
      });
    }
    if (target.field !== null && !FIELD_NAME.test(target.field)) {
      context.addIssue({
        code: "custom",
        path: ["target", "field"],
        message: `"${target.field}" is not an Odoo field name (lower-case letters, digits and _)`,
      });
    } else if (
      target.model === "res.partner" &&
      target.action === "create" &&
      target.field !== null &&
      !CUSTOM_FIELD_NAME.test(target.field)
    ) {
      context.addIssue({
        code: "custom",
        path: ["target", "field"],
        message: `a field that netmera-odoo creates needs an x_ name, not "${target.field}"; use action "existing" for a field Odoo has`,
      });
    }
  });

export const mappingSettingsSchema = z.object({
  /**
   * Above this many events of one code for one contact on one local day, the events are
   * consolidated into one note with a count instead of one note each.
   */
  eventConsolidationThreshold: z
    .number()
    .int()
    .positive()
    .default(DEFAULT_EVENT_CONSOLIDATION_THRESHOLD),
  arraySeparator: z.string().min(1).default(DEFAULT_ARRAY_SEPARATOR),
});

export const mappingConfirmationSchema = z.object({
  by: z.string().min(1),
  /** ISO 8601 time of the confirmation. */
  at: z.string(),
  mappingHash: z.string().regex(/^[0-9a-f]{64}$/),
  snapshotHash: z.string().min(1),
});

export const mappingSchema = z.object({
  version: z.literal(MAPPING_VERSION),
  snapshotHash: z.string().min(1),
  proposedAt: z.string(),
  settings: mappingSettingsSchema,
  entries: z.array(mappingEntrySchema),
  // A mapping whose confirmation was deleted while editing is simply unconfirmed.
  confirmation: mappingConfirmationSchema.nullable().default(null),
});

export type SourceKind = z.infer<typeof sourceKindSchema>;
export type OdooFieldType = z.infer<typeof odooFieldTypeSchema>;
export type TargetAction = z.infer<typeof targetActionSchema>;
export type MappingSource = z.infer<typeof mappingSourceSchema>;
export type MappingTarget = z.infer<typeof mappingTargetSchema>;
export type MappingOptions = z.infer<typeof mappingOptionsSchema>;
export type MappingEntry = z.infer<typeof mappingEntrySchema>;
export type MappingSettings = z.infer<typeof mappingSettingsSchema>;
export type MappingConfirmation = z.infer<typeof mappingConfirmationSchema>;
export type Mapping = z.infer<typeof mappingSchema>;

/** JSON text with object keys sorted at every level, so equal content gives equal bytes. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(sortKeys);
  }

  if (value !== null && typeof value === "object") {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const item = (value as Record<string, unknown>)[key];
      if (item !== undefined) {
        sorted[key] = sortKeys(item);
      }
    }
    return sorted;
  }

  return value;
}

/**
 * sha256 (hex) of the canonical JSON of `{entries, settings}`. The confirmation, the proposal
 * time and the snapshot hash are left out, so recording a confirmation does not change it
 * while any edit of an entry or a setting does.
 */
export function computeMappingHash(mapping: Pick<Mapping, "entries" | "settings">): string {
  const content = canonicalJson({ entries: mapping.entries, settings: mapping.settings });
  return createHash("sha256").update(content).digest("hex");
}

export type ConfirmationState =
  { confirmed: true; confirmation: MappingConfirmation } | { confirmed: false; reason: string };

/** Check a mapping's confirmation against its current content and the current snapshot. */
export function confirmationState(mapping: Mapping, snapshotHash: string): ConfirmationState {
  const confirmation = mapping.confirmation;
  if (!confirmation) {
    return { confirmed: false, reason: "the mapping has not been confirmed" };
  }

  if (confirmation.mappingHash !== computeMappingHash(mapping)) {
    return {
      confirmed: false,
      reason: `the mapping was edited after ${confirmation.by} confirmed it at ${confirmation.at}`,
    };
  }

  if (confirmation.snapshotHash !== snapshotHash) {
    return {
      confirmed: false,
      reason: `the snapshot changed after ${confirmation.by} confirmed the mapping at ${confirmation.at}`,
    };
  }

  return { confirmed: true, confirmation };
}

/**
 * Throw `MappingUnconfirmedError` unless the mapping is confirmed for exactly this content and
 * this snapshot. Every command that writes to Odoo, or builds something to import into it,
 * calls this first.
 */
export function assertMappingConfirmed(
  mapping: Mapping,
  snapshotHash: string,
  paths: { snapshotDir?: string; mappingFile?: string } = {},
): MappingConfirmation {
  const state = confirmationState(mapping, snapshotHash);
  if (state.confirmed) {
    return state.confirmation;
  }

  const mappingOption = paths.mappingFile ? ` --mapping ${paths.mappingFile}` : "";
  throw new MappingUnconfirmedError(
    `${state.reason}; review mapping.json, then run: ` +
      `netmera-odoo map ${paths.snapshotDir ?? "SNAPSHOT"} --confirm --by NAME${mappingOption}`,
  );
}

/** Encodings stated on file entries, by snapshot path, for `stateEncodings`. */
export function statedEncodingsOf(mapping: Pick<Mapping, "entries">): Record<string, string> {
  const result: Record<string, string> = {};
  for (const entry of mapping.entries) {
    if (entry.source.kind === "file" && entry.options?.encoding) {
      result[entry.source.name] = entry.options.encoding;
    }
  }
  return result;
}
