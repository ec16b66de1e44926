import { foldKey } from "../normalize/text.js";
import type { Mapping, MappingEntry, MappingTarget } from "../mapping/types.js";
import { matchHeaders } from "../snapshot/headers.js";

/**
 * Treatment of the values of one column meaning, resolved from the mapping. `name` parts are
 * joined into the contact name, `field` values are converted by type, and `tag` values become
 * categories. `skip` is a decision recorded in the mapping.
 */
export type ColumnRule =
  | { kind: "name"; part: "first" | "last"; entry?: MappingEntry }
  | { kind: "field"; field: string; target: MappingTarget; entry?: MappingEntry; label: string }
  | { kind: "tag"; code: string; label: string; entry?: MappingEntry }
  | { kind: "skip"; reason: string }
  | { kind: "unmapped" };

/** Meanings the plan fills itself, whatever the mapping contains. */
const BUILT_IN: Record<string, ColumnRule> = {
  extId: { kind: "skip", reason: "the extId is written as netmera_external_id" },
  pushToken: { kind: "skip", reason: "push tokens never leave the snapshot" },
};

/**
 * Defaults for the device meanings the mapping has no entry for (installation files, older
 * mappings). E-mail and phone have none: a reviewer who deletes their entries keeps that
 * personal data out of Odoo, and the columns are reported as not planned.
 */
const DEFAULT_TARGETS: Record<string, MappingTarget> = {
  deviceModel: {
    model: "res.partner",
    field: "netmera_device_model",
    type: "char",
    action: "existing",
  },
  os: { model: "res.partner", field: "netmera_os", type: "char", action: "existing" },
  platform: { model: "res.partner", field: "netmera_os", type: "char", action: "existing" },
  appVersion: {
    model: "res.partner",
    field: "netmera_app_version",
    type: "char",
    action: "existing",
  },
};

const IDENTITY_MEANINGS = new Set(["email", "msisdn", "name", "surname"]);

function ruleFromEntry(entry: MappingEntry, meaning: string): ColumnRule {
  const { target } = entry;
  const label = entry.source.label ?? entry.source.name;
  if (target.action === "skip" || target.action === "note" || target.action === "activity") {
    return { kind: "skip", reason: entry.reason || `mapping action ${target.action}` };
  }
  if (
    target.action === "tag" ||
    (target.field === "category_id" && target.model === "res.partner.category")
  ) {
    return { kind: "tag", code: entry.source.name, label, entry };
  }
  if (target.field === "name" && (meaning === "name" || meaning === "surname")) {
    return { kind: "name", part: meaning === "surname" ? "last" : "first", entry };
  }
  if (!target.field) {
    return { kind: "skip", reason: entry.reason || "the mapping gives no field" };
  }
  if (entry.options?.arrayHandling === "tags") {
    return { kind: "tag", code: entry.source.name, label, entry };
  }
  return { kind: "field", field: target.field, target, entry, label };
}

/**
 * The confirmed mapping seen from the plan: for every column of a user, device or company
 * file, the rule to apply. Attribute entries are found by code (a column whose header is the
 * attribute's code or label), other columns by header text, and finally by the meaning the
 * reader gives their header.
 */
export class MappingRules {
  private readonly attributes = new Map<string, MappingEntry>();
  private readonly columnsByHeader = new Map<string, MappingEntry>();
  private readonly columnsByMeaning = new Map<string, MappingEntry>();
  private readonly cache = new Map<string, Map<string, ColumnRule>>();

  /**
   * Contact fields that only the migration writes: the x_netmera_* fields it creates and the
   * device fields of the addon. A contact row names each of them, null when it has no value,
   * so that a value cleared in Netmera is cleared in Odoo by the next migrate. Standard fields
   * such as phone or city are never cleared, because people edit them in Odoo too.
   */
  readonly ownedFields: string[];

  constructor(readonly mapping: Mapping) {
    const owned = new Set(["netmera_os", "netmera_device_model", "netmera_app_version"]);
    for (const entry of mapping.entries) {
      const { model, field, action } = entry.target;
      if (
        model === "res.partner" &&
        action === "create" &&
        field?.startsWith("x_netmera_") &&
        entry.options?.arrayHandling !== "tags"
      ) {
        owned.add(field);
      }
    }
    this.ownedFields = [...owned].sort();
    for (const entry of mapping.entries) {
      if (entry.target.model !== "res.partner" && entry.target.model !== "res.partner.category") {
        continue;
      }
      if (entry.source.kind === "attribute") {
        this.attributes.set(entry.source.name, entry);
      } else if (entry.source.kind === "column") {
        this.columnsByHeader.set(entry.source.name, entry);
        for (const kind of ["users", "devices"] as const) {
          const meaning = matchHeaders([entry.source.name], kind, [], "mapping.json").meanings[0];
          if (meaning && !meaning.startsWith("column:") && !this.columnsByMeaning.has(meaning)) {
            this.columnsByMeaning.set(meaning, entry);
          }
        }
      }
    }
  }

  get arraySeparator(): string {
    return this.mapping.settings.arraySeparator;
  }

  /** Rule for a column with this meaning and header. */
  forColumn(meaning: string, header: string): ColumnRule {
    let byHeader = this.cache.get(meaning);
    if (!byHeader) {
      byHeader = new Map();
      this.cache.set(meaning, byHeader);
    }
    let rule = byHeader.get(header);
    if (!rule) {
      rule = this.resolve(meaning, header);
      byHeader.set(header, rule);
    }
    return rule;
  }

  private resolve(meaning: string, header: string): ColumnRule {
    const builtIn = BUILT_IN[meaning];
    if (builtIn) {
      return builtIn;
    }
    const code = meaning.startsWith("attr:")
      ? meaning.slice(5)
      : IDENTITY_MEANINGS.has(meaning)
        ? meaning
        : undefined;
    // A snapshot without profile-attributes.json gives attribute columns no attr: meaning, so
    // an attribute entry whose code is the header still applies.
    const entry =
      (code !== undefined ? this.attributes.get(code) : undefined) ??
      this.columnsByHeader.get(header) ??
      this.findHeaderFolded(header) ??
      this.columnsByMeaning.get(meaning) ??
      this.attributes.get(header);
    if (entry) {
      return ruleFromEntry(entry, meaning);
    }
    if (meaning === "name" || meaning === "surname") {
      return { kind: "name", part: meaning === "surname" ? "last" : "first" };
    }
    const fallback = DEFAULT_TARGETS[meaning];
    if (fallback?.field) {
      return { kind: "field", field: fallback.field, target: fallback, label: header };
    }
    return { kind: "unmapped" };
  }

  private findHeaderFolded(header: string): MappingEntry | undefined {
    const folded = foldKey(header);
    for (const [name, entry] of this.columnsByHeader) {
      if (foldKey(name) === folded) {
        return entry;
      }
    }
    return undefined;
  }

  /** Entries that create `x_netmera_*` fields on res.partner, for the schema phase. */
  customFieldEntries(): MappingEntry[] {
    return this.mapping.entries.filter(
      (entry) =>
        entry.target.model === "res.partner" &&
        entry.target.action === "create" &&
        entry.target.field !== null,
    );
  }
}

/** Column meanings whose values go to integer or float fields and need a number format. */
export function numericMeanings(rules: MappingRules): Set<string> {
  const meanings = new Set<string>();
  for (const entry of rules.mapping.entries) {
    if (entry.target.type !== "integer" && entry.target.type !== "float") {
      continue;
    }
    if (entry.source.kind === "attribute") {
      meanings.add(`attr:${entry.source.name}`);
    } else if (entry.source.kind === "column") {
      meanings.add(`column:${entry.source.name}`);
      const matched = matchHeaders([entry.source.name], "users", [], "mapping.json").meanings[0];
      if (matched) {
        meanings.add(matched);
      }
    }
  }
  return meanings;
}
