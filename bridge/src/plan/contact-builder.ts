import { NO_VALUES_REASON } from "../mapping/infer-type.js";
import { sha256OfText, xmlIdFor } from "../core/xml-id.js";
import { normalizeArray } from "../normalize/arrays.js";
import { checkHiddenCharacters } from "../normalize/hidden-chars.js";
import { foldKey } from "../normalize/text.js";
import {
  isValuesKey,
  type DeviceInfo,
  type MergedUser,
  type SourcedValue,
} from "../snapshot/users.js";
import type { PlanState } from "./context.js";
import { convertValue, type ConvertContext } from "./convert.js";
import { accept, type Normalized } from "../normalize/result.js";
import { canonicalJson } from "./row-hash.js";
import type { ColumnRule, MappingRules } from "./rules.js";
import type { FlagEntry, QuarantineEntry } from "./types.js";

export interface ContactEnvironment {
  rules: MappingRules;
  convert: ConvertContext;
  state: PlanState;
  /** Position of each segment id in stage order. */
  stageOrder: Map<string, number>;
  /** Columns that no mapping entry covers, by header, for the warning at the end. */
  unmapped: Set<string>;
}

export interface BuiltContact {
  xmlId: string;
  values: Record<string, unknown>;
  source: { file: string; line: number };
  quarantine: QuarantineEntry[];
  flags: FlagEntry[];
  /** Lower-case e-mail, for the duplicate check. */
  email?: string;
}

const DEVICE_FIELDS: [
  meaning: string,
  pick: (device: MergedUser["devices"][number]) => string | undefined,
][] = [
  ["platform", (device) => device.platform],
  ["os", (device) => device.os],
  ["deviceModel", (device) => device.model],
  ["appVersion", (device) => device.appVersion],
];

type DevicePick = (typeof DEVICE_FIELDS)[number][1];
const deviceFieldsByRules = new WeakMap<
  MappingRules,
  { meaning: string; field: string; pick: DevicePick }[]
>();

/** Device columns the mapping gives a field, worked out once per mapping. */
function mappedDeviceFields(
  rules: MappingRules,
): { meaning: string; field: string; pick: DevicePick }[] {
  let mapped = deviceFieldsByRules.get(rules);
  if (!mapped) {
    mapped = [];
    for (const [meaning, pick] of DEVICE_FIELDS) {
      const rule = rules.forColumn(meaning, meaning);
      if (rule.kind === "field") mapped.push({ meaning, field: rule.field, pick });
    }
    deviceFieldsByRules.set(rules, mapped);
  }
  return mapped;
}

const categoryIds = new Map<string, string>();

/**
 * Return the external ID of a category or stage. Contacts refer to the same few segments and
 * tags again and again, so the IDs are cached, up to 100,000 distinct keys.
 */
function cachedXmlId(kind: "segment" | "tag" | "stage", key: string): string {
  const cacheKey = `${kind}\u0000${key}`;
  let xmlId = categoryIds.get(cacheKey);
  if (xmlId === undefined) {
    if (categoryIds.size >= 100_000) {
      categoryIds.clear();
    }
    xmlId = xmlIdFor(kind, key);
    categoryIds.set(cacheKey, xmlId);
  }
  return xmlId;
}

/** External ID name of a contact: the extId itself, or a hash of an anonymous user's key. */
export function contactXmlId(user: MergedUser): string {
  if (user.extId !== undefined) {
    return xmlIdFor("user", user.extId);
  }
  // The hash keeps e-mails and phone numbers of anonymous users out of the external ID.
  const digest = sha256OfText(user.key).slice(0, 16);
  return xmlIdFor("user", `\u0000anonymous ${digest}`);
}

type ValueRule = Exclude<ColumnRule, { kind: "skip" } | { kind: "unmapped" }>;

/** Convert one candidate value by its rule; relations are matched later, so they pass as text. */
function convertCandidate(
  rule: ValueRule,
  meaning: string,
  sourced: SourcedValue,
  environment: ContactEnvironment,
): Normalized<unknown> {
  if (rule.kind === "name") {
    return accept(sourced.value.trim());
  }
  if (rule.kind === "tag") {
    return normalizeArray(sourced.value);
  }
  if (RELATION_FIELDS.has(rule.field)) {
    return accept(sourced.value.trim());
  }
  const isArray = rule.entry?.source.isArray === true;
  return convertValue(
    sourced.value,
    meaning,
    rule.target,
    isArray,
    environment.convert,
    sourced.file,
  );
}

const RELATION_FIELDS = new Set(["user_id", "parent_id", "name"]);

interface Candidate {
  sourced: SourcedValue;
  value: unknown;
}

/** Convert the value of a column that no other row disagrees on. A value that fails is dropped. */
function onlyCandidate(
  rule: ValueRule,
  meaning: string,
  sourced: SourcedValue,
  environment: ContactEnvironment,
  drop: (sourced: SourcedValue, reason: string) => void,
): Candidate | undefined {
  const converted = convertCandidate(rule, meaning, sourced, environment);
  if (!converted.ok) {
    drop(sourced, converted.reason);
    return undefined;
  }
  return { sourced, value: converted.value };
}

/**
 * Choose among values of one column from several rows, in file order. The first that converts
 * is used, a later one that converts to something else is a merge conflict, and a value that
 * does not convert is dropped.
 */
function chooseCandidate(
  rule: ValueRule,
  meaning: string,
  candidates: SourcedValue[],
  environment: ContactEnvironment,
  drop: (sourced: SourcedValue, reason: string) => void,
  conflict: (kept: Candidate, other: Candidate) => void,
): Candidate | undefined {
  const accepted: Candidate[] = [];
  for (const sourced of candidates) {
    const converted = onlyCandidate(rule, meaning, sourced, environment, drop);
    if (converted) {
      accepted.push(converted);
    }
  }
  const chosen = accepted[0];
  if (!chosen) {
    return undefined;
  }
  for (const other of accepted.slice(1)) {
    if (canonicalJson(other.value) !== canonicalJson(chosen.value)) {
      conflict(chosen, other);
    }
  }
  return chosen;
}

function conflictFlag(xmlId: string, extid: string, used: Candidate, other: Candidate): FlagEntry {
  return {
    xml_id: xmlId,
    extid,
    flag: "conflicting_merge",
    detail:
      `column "${used.sourced.column}": kept "${used.sourced.value}" (${place(used.sourced)}), ` +
      `other value "${other.sourced.value}" (${place(other.sourced)})`,
  };
}

/** Build the quarantine entry of a value that lost a merge conflict and so does not reach Odoo. */
function conflictLoser(used: Candidate, other: Candidate): QuarantineEntry {
  return {
    file: other.sourced.file,
    line: other.sourced.line,
    column: other.sourced.column,
    value: other.sourced.value,
    reason:
      `value dropped: the same extId has "${used.sourced.value}" in ${place(used.sourced)}, ` +
      "and the value of the first file in name order is kept",
  };
}

/**
 * Remove the characters XML cannot carry from a chosen value (see normalize/hidden-chars.ts) and
 * trim it again when some were removed. Removed and invisible characters are reported as flags.
 */
function withoutHiddenCharacters(
  value: unknown,
  sourced: SourcedValue,
  report: (flag: string, detail: string) => void,
): unknown {
  if (Array.isArray(value)) {
    return value
      .map((item) => withoutHiddenCharacters(item, sourced, report))
      .filter((item) => item !== "");
  }
  if (typeof value !== "string") {
    return value;
  }
  const checked = checkHiddenCharacters(value);
  if (checked.removed) {
    report(
      "control_characters",
      `column "${sourced.column}": removed ${checked.removed} (${place(sourced)}), which Odoo's XML-RPC cannot carry`,
    );
  }
  if (checked.invisible) {
    report(
      "invisible_characters",
      `column "${sourced.column}" contains ${checked.invisible} (${place(sourced)}), which does not show; check the value`,
    );
  }
  return checked.removed ? checked.text.trim() : checked.text;
}

/** Header of the column before `meaning` in the user's values whose rule writes `field`. */
function firstColumnOf(
  user: MergedUser,
  environment: ContactEnvironment,
  field: string,
  meaning: string,
): string {
  for (const [other, sourced] of user.values) {
    if (other === meaning) break;
    const rule = environment.rules.forColumn(other, sourced.column);
    if (rule.kind === "field" && rule.field === field) return sourced.column;
  }
  return field;
}

function place(value: SourcedValue): string {
  return `${value.file} line ${value.line}`;
}

/** Build one contact row from a merged user; pure apart from what it records in `state`. */
export function buildContact(user: MergedUser, environment: ContactEnvironment): BuiltContact {
  const { rules, state } = environment;
  const xmlId = contactXmlId(user);
  const extid = user.extId ?? "";
  const values: Record<string, unknown> = {};
  const quarantine: QuarantineEntry[] = [];
  const flags: FlagEntry[] = [];
  const categories: string[] = [];
  let first: string | undefined;
  let last: string | undefined;

  const drop = (sourced: SourcedValue, reason: string) =>
    quarantine.push({
      file: sourced.file,
      line: sourced.line,
      column: sourced.column,
      value: sourced.value,
      reason: `value dropped: ${reason}; the contact is planned without it`,
    });

  const alternatives = new Map<string, SourcedValue[]>();
  for (const conflict of user.conflicts) {
    alternatives.set(conflict.meaning, [
      ...(alternatives.get(conflict.meaning) ?? []),
      conflict.other,
    ]);
  }

  for (const [meaning, kept] of user.values) {
    const others = alternatives.size > 0 ? alternatives.get(meaning) : undefined;
    const rule = rules.forColumn(meaning, kept.column);
    if (rule.kind === "skip") {
      // The mapping skipped this column because it had no values when map ran. A newer
      // snapshot that has some reports them as dropped, so none is lost without a word.
      if (rule.reason === NO_VALUES_REASON) {
        for (const sourced of [kept, ...(others ?? [])]) {
          drop(
            sourced,
            "the mapping skips this column because it had no values when map ran (run map again to give it a field)",
          );
        }
      }
      continue;
    }
    if (rule.kind === "unmapped") {
      environment.unmapped.add(kept.column);
      continue;
    }
    let chosen: Candidate | undefined;
    if (others) {
      const candidates = [kept, ...others];
      chosen = chooseCandidate(rule, meaning, candidates, environment, drop, (used, other) => {
        flags.push(conflictFlag(xmlId, extid, used, other));
        quarantine.push(conflictLoser(used, other));
      });
    } else {
      chosen = onlyCandidate(rule, meaning, kept, environment, drop);
    }
    if (!chosen) {
      continue;
    }
    const sourced = chosen.sourced;
    const cleaned = withoutHiddenCharacters(chosen.value, sourced, (flag, detail) =>
      flags.push({ xml_id: xmlId, extid, flag, detail }),
    );
    if (cleaned === "") {
      drop(sourced, "it contains only control characters, which Odoo's XML-RPC cannot carry");
      continue;
    }
    chosen = { sourced, value: cleaned };
    if (rule.kind === "name") {
      if (rule.part === "first") first = chosen.value as string;
      else last = chosen.value as string;
      continue;
    }
    if (rule.kind === "tag") {
      for (const item of chosen.value as string[]) {
        const tagXmlId = cachedXmlId("tag", `${rule.code}=${item}`);
        state.valueTags.set(tagXmlId, item);
        categories.push(tagXmlId);
      }
      continue;
    }
    const { field } = rule;
    if (values[field] !== undefined) {
      if (
        !RELATION_FIELDS.has(field) &&
        canonicalJson(values[field]) === canonicalJson(chosen.value)
      ) {
        continue;
      }
      // Two columns of different meaning mapped to one field: the first keeps it, and the other
      // value is reported rather than lost without a word.
      const first = firstColumnOf(user, environment, field, meaning);
      flags.push({
        xml_id: xmlId,
        extid,
        flag: "mapping_conflict",
        detail: `columns "${first}" and "${sourced.column}" are both mapped to ${field}; the first is kept`,
      });
      drop(
        sourced,
        `the mapping also sends column "${first}" to ${field}, and that value is kept; ` +
          'map each column to its own field, or set one to "skip"',
      );
      continue;
    }
    if (field === "user_id") {
      const owner =
        state.owners.get(sourced.value.trim().toLowerCase()) ??
        state.owners.get(foldKey(sourced.value));
      if (owner) {
        values.user_id = { owner_email: owner };
      } else {
        flags.push({
          xml_id: xmlId,
          extid,
          flag: "unknown_owner",
          detail: `owner "${sourced.value.trim()}" is not in owners.csv (${place(sourced)})`,
        });
        drop(sourced, "no panel user in owners.csv has this e-mail");
      }
      continue;
    }
    if (field === "parent_id") {
      const company = state.companies.get(foldKey(sourced.value));
      if (company) {
        values.parent_id = { xml_id: company };
      } else {
        flags.push({
          xml_id: xmlId,
          extid,
          flag: "unknown_company",
          detail: `company "${sourced.value.trim()}" is not in companies.csv (${place(sourced)})`,
        });
        drop(sourced, "no company in companies.csv has this id");
      }
      continue;
    }
    if (field === "name") {
      first ??= chosen.value as string;
      continue;
    }
    values[field] = chosen.value;
    if (field === "lang" && typeof chosen.value === "string") {
      state.languages.add(chosen.value);
    }
  }

  applyDevices(user, environment, values, { xmlId, extid, quarantine, flags });
  for (const field of rules.ownedFields) {
    values[field] ??= null;
  }
  applyMemberships(user, environment, values, categories);

  const anonymous = user.extId === undefined;
  const fullName = [first, last].filter((part) => part).join(" ");
  values.name =
    fullName ||
    (anonymous
      ? `Anonymous Netmera user ${xmlId.slice(-12)}`
      : ((values.email as string | undefined) ?? (values.mobile as string | undefined) ?? extid));
  if (!anonymous) {
    values.netmera_external_id = withoutHiddenCharacters(
      extid,
      { value: extid, file: user.source.file, line: user.source.line, column: "extId" },
      (flag, detail) => flags.push({ xml_id: xmlId, extid, flag, detail }),
    );
  }
  values.netmera_needs_enrichment = anonymous;
  if (anonymous) {
    flags.push({
      xml_id: xmlId,
      extid,
      flag: "anonymous",
      detail:
        (isValuesKey(user.key)
          ? "no extId, e-mail or MSISDN, so the contact is known by its values and a re-sync " +
            "after any of them changes creates a new contact; it needs enrichment"
          : "no extId; the contact needs enrichment") +
        (fullName ? "" : " and has a placeholder name"),
    });
  }
  const uniqueCategories = [...new Set(categories)];
  values.netmera_untagged = uniqueCategories.length === 0;
  // Always named, empty too: an update then unlinks the migration's tags the user has left.
  values.category_id = { xml_ids: uniqueCategories };
  if (uniqueCategories.length === 0) {
    flags.push({
      xml_id: xmlId,
      extid,
      flag: "untagged",
      detail: "the user belongs to no tag or segment",
    });
  }
  const email = typeof values.email === "string" ? values.email.toLowerCase() : undefined;
  return { xmlId, values, source: user.source, quarantine, flags, email };
}

/**
 * Device fields from one installation: the last listed one that agrees with the device columns
 * of the user export, or the last listed one when the export has none. All fields come from one
 * device, so that a contact never shows one phone's model with another's OS. When no
 * installation agrees, the user export is kept and the last installation's values are reported
 * as dropped.
 */
function applyDevices(
  user: MergedUser,
  environment: ContactEnvironment,
  values: Record<string, unknown>,
  report: { xmlId: string; extid: string; quarantine: QuarantineEntry[]; flags: FlagEntry[] },
): void {
  const last = user.devices[user.devices.length - 1];
  if (!last) {
    return;
  }
  const mapped = mappedDeviceFields(environment.rules);
  const fieldsOf = (device: DeviceInfo) => {
    const fields: { meaning: string; field: string; value: string }[] = [];
    for (const { meaning, field, pick } of mapped) {
      const value = pick(device);
      if (value !== undefined) fields.push({ meaning, field, value });
    }
    return fields;
  };
  const differs = (field: string, value: string) =>
    values[field] !== undefined &&
    String(values[field]).trim().toLowerCase() !== value.trim().toLowerCase();
  let agreeing: DeviceInfo | undefined;
  for (let i = user.devices.length - 1; i >= 0 && !agreeing; i -= 1) {
    const candidate = user.devices[i]!;
    if (fieldsOf(candidate).every(({ field, value }) => !differs(field, value))) {
      agreeing = candidate;
    }
  }
  const device = agreeing ?? last;
  if (user.devices.length > 1) {
    const which = device === last ? "the last listed" : "the one the user export names";
    report.flags.push({
      xml_id: report.xmlId,
      extid: report.extid,
      flag: "several_devices",
      detail:
        `${user.devices.length} installations; the device fields come from ${which} ` +
        `(${device.file} line ${device.line})`,
    });
  }
  const fields = fieldsOf(device);
  if (agreeing) {
    for (const { field, value } of fields) values[field] ??= value;
    return;
  }
  const clash = fields.find(({ field, value }) => differs(field, value));
  const clashHeader = clash ? (user.values.get(clash.meaning)?.column ?? clash.meaning) : "";
  const clashValue = clash ? String(values[clash.field]) : "";
  for (const { meaning, field, value } of fields) {
    if (values[field] === undefined || differs(field, value)) {
      report.quarantine.push({
        file: device.file,
        line: device.line,
        column: meaning,
        value,
        reason:
          `value dropped: the user export names another device (${clashHeader} ` +
          `"${clashValue}"), and a contact's device fields come from one device`,
      });
    }
  }
}

function applyMemberships(
  user: MergedUser,
  environment: ContactEnvironment,
  values: Record<string, unknown>,
  categories: string[],
): void {
  let stage: string | undefined;
  let stagePosition = Number.POSITIVE_INFINITY;
  for (const segment of user.segments) {
    categories.push(cachedXmlId("segment", segment));
    const position = environment.stageOrder.get(segment) ?? Number.POSITIVE_INFINITY;
    if (stage === undefined || position < stagePosition) {
      stage = segment;
      stagePosition = position;
    }
  }
  if (stage !== undefined) {
    values.netmera_segment_stage_id = { xml_id: cachedXmlId("stage", stage) };
  }
  for (const tag of user.tags) {
    categories.push(cachedXmlId("tag", tag));
  }
}
