import { foldKey } from "../normalize/text.js";
import { assignFieldNames } from "./field-names.js";
import { inferTarget, type Proposal } from "./infer-type.js";
import type { AttributeDefinition, SnapshotObservations } from "./observations.js";
import { proposeEvents } from "./propose-events.js";
import { proposeFiles } from "./propose-files.js";
import {
  COLUMN_MEANING_TARGETS,
  IDENTITY_MEANINGS,
  STANDARD_ATTRIBUTE_TARGETS,
  STANDARD_HEADERS,
} from "./standard-targets.js";
import {
  DEFAULT_ARRAY_SEPARATOR,
  DEFAULT_EVENT_CONSOLIDATION_THRESHOLD,
  MAPPING_VERSION,
  type Mapping,
  type MappingEntry,
  type MappingSettings,
} from "./types.js";

export interface ProposeOptions {
  snapshotHash: string;
  proposedAt: string;
  settings?: Partial<MappingSettings>;
}

/**
 * Build the proposed mapping: one entry per profile attribute, per column header of the users
 * and devices files, per event code and per snapshot file. Entries come out in a fixed order
 * (attributes, columns, events, files; each sorted), so the same snapshot gives the same file.
 */
export function proposeMapping(
  observations: SnapshotObservations,
  options: ProposeOptions,
): Mapping {
  const settings: MappingSettings = {
    eventConsolidationThreshold:
      options.settings?.eventConsolidationThreshold ?? DEFAULT_EVENT_CONSOLIDATION_THRESHOLD,
    arraySeparator: options.settings?.arraySeparator ?? DEFAULT_ARRAY_SEPARATOR,
  };

  const fieldNames = assignFieldNames([
    ...observations.attributes.map((a) => a.code),
    ...[...observations.columns.values()]
      .filter((c) => c.meaning.startsWith("column:"))
      .map((c) => c.header),
  ]);
  const attributeEntries = observations.attributes
    .map((attribute) => attributeEntry(attribute, observations, fieldNames))
    .sort((a, b) => compareText(a.source.name, b.source.name));
  const byCode = new Map(attributeEntries.map((entry) => [entry.source.name, entry]));
  const columnEntries = [...observations.columns.values()]
    .map((column) => columnEntry(column, observations, byCode, fieldNames))
    .sort((a, b) => compareText(a.source.name, b.source.name));

  return {
    version: MAPPING_VERSION,
    snapshotHash: options.snapshotHash,
    proposedAt: options.proposedAt,
    settings,
    entries: [
      ...attributeEntries,
      ...columnEntries,
      ...proposeEvents(observations, settings),
      ...proposeFiles(observations),
    ],
    confirmation: null,
  };
}

function compareText(a: string, b: string): number {
  if (a === b) {
    return 0;
  }
  return a < b ? -1 : 1;
}

/** Actions that write a value into a field, and so need a field name. */
const WRITING_ACTIONS = new Set(["create", "existing", "tag"]);

function entryFrom(source: MappingEntry["source"], proposal: Proposal): MappingEntry {
  if (WRITING_ACTIONS.has(proposal.target.action) && !proposal.target.field) {
    // A writing target without a field would reach Odoo as an empty field name; propose
    // nothing instead and let the reviewer choose.
    return {
      source,
      target: { model: proposal.target.model, field: null, type: null, action: "skip" },
      confidence: 0,
      reason: `no field could be proposed (${proposal.reason}); choose a target or keep skip`,
      review: true,
    };
  }
  const entry: MappingEntry = {
    source,
    target: proposal.target,
    confidence: Math.round(proposal.confidence * 100) / 100,
    reason: proposal.reason,
    review: proposal.review,
  };
  if (proposal.options) {
    entry.options = proposal.options;
  }
  return entry;
}

function attributeEntry(
  attribute: AttributeDefinition,
  observations: SnapshotObservations,
  fieldNames: Map<string, string>,
): MappingEntry {
  const files = observations.attributeFiles.get(attribute.code);
  const source: MappingEntry["source"] = {
    kind: "attribute",
    name: attribute.code,
    ...(attribute.dataType ? { dataType: attribute.dataType } : {}),
    ...(attribute.isArray ? { isArray: true } : {}),
    ...(attribute.name ? { label: attribute.name } : {}),
    ...(files && files.size > 0 ? { files: [...files].sort() } : {}),
  };
  const known = attribute.standard ? STANDARD_ATTRIBUTE_TARGETS[attribute.code] : undefined;
  if (known) {
    return entryFrom(source, { ...known, review: false });
  }

  const proposal = inferTarget({
    fieldName: fieldNames.get(attribute.code) ?? "",
    dataType: attribute.dataType,
    isArray: attribute.isArray === true,
    stats: observations.attributeValues.get(attribute.code),
    ownerEmails: observations.ownerEmails,
    companyIds: observations.companyIds,
  });
  const prefix = attribute.standard ? "standard attribute without a fixed target; " : "";
  return entryFrom(source, { ...proposal, reason: prefix + proposal.reason });
}

function columnEntry(
  column: SnapshotObservations["columns"] extends Map<string, infer C> ? C : never,
  observations: SnapshotObservations,
  attributes: Map<string, MappingEntry>,
  fieldNames: Map<string, string>,
): MappingEntry {
  const source: MappingEntry["source"] = {
    kind: "column",
    name: column.header,
    meaning: column.meaning,
    files: [...column.files].sort(),
  };

  const code = column.meaning.startsWith("attr:")
    ? column.meaning.slice("attr:".length)
    : IDENTITY_MEANINGS.has(column.meaning)
      ? column.meaning
      : undefined;
  const attribute = code ? attributes.get(code) : undefined;
  if (attribute) {
    return entryFrom(source, {
      target: attribute.target,
      confidence: 1,
      reason: `profile attribute ${code}; its attribute entry decides the target`,
      review: false,
    });
  }

  const known = COLUMN_MEANING_TARGETS[column.meaning];
  if (known) {
    return entryFrom(source, { ...known, review: false });
  }

  // Without profile-attributes.json there is no attribute entry for identity columns or the
  // other standard attributes, so their header meaning decides.
  const identity = IDENTITY_MEANINGS.has(column.meaning)
    ? STANDARD_ATTRIBUTE_TARGETS[column.meaning]
    : undefined;
  if (identity) {
    return entryFrom(source, {
      ...identity,
      confidence: Math.min(identity.confidence, 0.9),
      reason: `header means ${column.meaning}, with no attribute definition; ${identity.reason}`,
      review: false,
    });
  }
  const similar = similarAttribute(column.header, observations.attributes);
  const similarEntry = similar ? attributes.get(similar.code) : undefined;
  if (similar && similarEntry) {
    return entryFrom(source, {
      target: similarEntry.target,
      confidence: 0.5,
      reason: `header looks like attribute ${similar.code} ("${similar.name ?? similar.code}"); check before confirming`,
      review: true,
    });
  }

  const standardCode = column.meaning.startsWith("column:")
    ? standardCodeOfHeader(column.header)
    : undefined;
  const standard = standardCode ? STANDARD_ATTRIBUTE_TARGETS[standardCode] : undefined;
  if (standardCode && standard) {
    return entryFrom(source, {
      ...standard,
      confidence: 0.6,
      reason:
        `header reads as the standard attribute ${standardCode}, which no attribute ` +
        `definition confirms; ${standard.reason}`,
      review: true,
    });
  }

  const proposal = inferTarget({
    fieldName: fieldNames.get(column.header) ?? "",
    dataType: undefined,
    isArray: false,
    stats: column.stats,
    ownerEmails: observations.ownerEmails,
    companyIds: observations.companyIds,
  });
  return entryFrom(source, {
    ...proposal,
    confidence: Math.min(proposal.confidence, 0.3),
    reason: `header matches no profile attribute; ${proposal.reason}`,
    review: true,
  });
}

function standardCodeOfHeader(header: string): string | undefined {
  const folded = foldKey(header);
  for (const [code, spellings] of Object.entries(STANDARD_HEADERS)) {
    if (spellings.some((spelling) => foldKey(spelling) === folded)) {
      return code;
    }
  }
  return undefined;
}

/** Words of a header or label, folded, without filler words, for a loose comparison. */
function words(text: string): Set<string> {
  const filler = new Set(["of", "the", "a", "an", "ve", "ile"]);
  return new Set(
    text
      .replace(/([a-z])([A-Z])/g, "$1 $2")
      .split(/[^\p{L}\p{N}]+/u)
      .map(foldKey)
      .filter((w) => w && !filler.has(w)),
  );
}

/**
 * Find the attribute whose code or name has the same words as the header in another order or
 * spelling ("Birth Date" and "Date of Birth"). Return none when zero or several attributes match.
 */
function similarAttribute(
  header: string,
  attributes: AttributeDefinition[],
): AttributeDefinition | undefined {
  const headerWords = words(header);
  if (headerWords.size === 0) {
    return undefined;
  }

  const matches = attributes.filter((attribute) =>
    [attribute.code, attribute.name ?? ""].some((label) => {
      const labelWords = words(label);
      return (
        labelWords.size === headerWords.size && [...headerWords].every((w) => labelWords.has(w))
      );
    }),
  );
  return matches.length === 1 ? matches[0] : undefined;
}
