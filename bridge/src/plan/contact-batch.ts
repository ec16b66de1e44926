import type { Mapping } from "../mapping/types.js";
import { NumberFormatTable, type NumberFormat } from "../normalize/numbers.js";
import type { Normalized } from "../normalize/result.js";
import type { StagedGroup } from "../snapshot/staging.js";
import { foldExtIdCase } from "../snapshot/extid-case.js";
import { isValuesKey, mergeGroup } from "../snapshot/users.js";
import { buildContact, type ContactEnvironment } from "./contact-builder.js";
import { emptyState } from "./context.js";
import { planRowLine } from "./outputs.js";
import { MappingRules } from "./rules.js";
import type { FlagEntry, QuarantineEntry } from "./types.js";

/** Source files of staged rows by file id, as `Staging.files()` returns them. */
export type FileTable = Map<number, { path: string; meta: unknown }>;

/** Result of building a batch of staged groups, in group order. */
export interface ContactBatchResult {
  /** NDJSON lines of the `contacts` plan file, one per group. */
  lines: string;
  rows: number;
  /** Groups without a user row: users known only from a membership or device file. */
  withoutUserRow: number;
  /** User rows merged into an earlier row of the same extId. */
  merged: number;
  /** Rows without extId merged into an earlier row of the same e-mail or MSISDN. */
  mergedAnonymous: number;
  /** Rows without extId, e-mail or MSISDN merged into an earlier row with the same values. */
  mergedSameValues: number;
  quarantine: QuarantineEntry[];
  flags: FlagEntry[];
  /** Lower-case e-mail, contact external ID and extId, three entries per contact with an e-mail. */
  emails: string[];
  /** extId, contact external ID and folded extId (foldExtIdCase), three entries per contact with an extId. */
  extIds: string[];
  /** Categories, languages and unmapped columns first seen by this batch. */
  state: ContactStateChanges;
}

/** Additions to the plan state from building contacts, replayed in batch order. */
export interface ContactStateChanges {
  /** Category external ID and name pairs, flattened. */
  valueTags: string[];
  languages: string[];
  unmapped: string[];
}

/**
 * Build the contact rows of a batch of staged groups, in order. The environment's state
 * receives the categories and languages the contacts use, exactly as when contacts are built
 * one by one.
 */
export function buildContactBatch(
  groups: StagedGroup[],
  files: FileTable,
  environment: ContactEnvironment,
): Omit<ContactBatchResult, "state"> {
  const lines: string[] = [];
  const quarantine: QuarantineEntry[] = [];
  const flags: FlagEntry[] = [];
  const emails: string[] = [];
  const extIds: string[] = [];
  let withoutUserRow = 0;
  let merged = 0;
  let mergedAnonymous = 0;
  let mergedSameValues = 0;
  for (const group of groups) {
    const user = mergeGroup(group, files);
    if (user.userRows === 0) {
      withoutUserRow += 1;
    } else if (user.userRows > 1 && isValuesKey(user.key)) {
      mergedSameValues += user.userRows - 1;
    } else if (user.userRows > 1 && user.extId === undefined) {
      mergedAnonymous += user.userRows - 1;
    } else if (user.userRows > 1) {
      merged += user.userRows - 1;
    }
    const contact = buildContact(user, environment);
    quarantine.push(...contact.quarantine);
    flags.push(...contact.flags);
    if (contact.email) {
      emails.push(contact.email, contact.xmlId, user.extId ?? "");
    }
    lines.push(
      planRowLine({ xml_id: contact.xmlId, values: contact.values, source: contact.source }),
    );
    if (user.extId !== undefined) {
      extIds.push(user.extId, contact.xmlId, foldExtIdCase(user.extId));
    }
  }
  return {
    lines: lines.join(""),
    rows: groups.length,
    withoutUserRow,
    merged,
    mergedAnonymous,
    mergedSameValues,
    quarantine,
    flags,
    emails,
    extIds,
  };
}

/** Everything a contact worker needs to build contacts as the main thread would. */
export interface ContactWorkerInit {
  mapping: Mapping;
  timeZone: string;
  numberFormats: [file: string, meaning: string, format: Normalized<NumberFormat>][];
  owners: [string, string][];
  companies: [string, string][];
  stageOrder: [string, number][];
  files: [number, { path: string; meta: unknown }][];
}

/**
 * The contact environment of a worker: the main thread's rules and lookups, with a state of
 * its own whose additions go back with each batch.
 */
export function workerEnvironment(init: ContactWorkerInit): {
  environment: ContactEnvironment;
  files: FileTable;
} {
  const rules = new MappingRules(init.mapping);
  const numberFormats = NumberFormatTable.fromDecisions(init.numberFormats);
  const state = emptyState();
  for (const [key, value] of init.owners) state.owners.set(key, value);
  for (const [key, value] of init.companies) state.companies.set(key, value);
  return {
    environment: {
      rules,
      convert: {
        timeZone: init.timeZone,
        numberFormat: (meaning, file) => numberFormats.formatOf(file, meaning),
        arraySeparator: rules.arraySeparator,
      },
      state,
      stageOrder: new Map(init.stageOrder),
      unmapped: new Set(),
    },
    files: new Map(init.files),
  };
}

/** Take what the environment's state gained since the last call, and clear it. */
export function takeStateChanges(environment: ContactEnvironment): ContactStateChanges {
  const changes: ContactStateChanges = {
    valueTags: [...environment.state.valueTags].flat(),
    languages: [...environment.state.languages],
    unmapped: [...environment.unmapped],
  };
  environment.state.valueTags.clear();
  environment.state.languages.clear();
  environment.unmapped.clear();
  return changes;
}

/** Replay a worker's state additions on the main environment, in batch order. */
export function applyStateChanges(
  environment: ContactEnvironment,
  changes: ContactStateChanges,
): void {
  for (let i = 0; i < changes.valueTags.length; i += 2) {
    environment.state.valueTags.set(
      changes.valueTags[i] as string,
      changes.valueTags[i + 1] as string,
    );
  }
  for (const language of changes.languages) environment.state.languages.add(language);
  for (const column of changes.unmapped) environment.unmapped.add(column);
}

/** Staged groups as one flat array of primitives, which a worker message copies cheaply. */
export function packGroups(groups: StagedGroup[]): (string | number)[] {
  const packed: (string | number)[] = [];
  for (const group of groups) {
    packed.push(group.key, group.rows.length);
    for (const row of group.rows) {
      packed.push(row.source, row.fileId, row.line, row.data);
    }
  }
  return packed;
}

export function unpackGroups(packed: (string | number)[]): StagedGroup[] {
  const groups: StagedGroup[] = [];
  let at = 0;
  while (at < packed.length) {
    const key = packed[at] as string;
    const count = packed[at + 1] as number;
    at += 2;
    const rows: StagedGroup["rows"] = [];
    for (let i = 0; i < count; i += 1) {
      rows.push({
        source: packed[at] as number,
        fileId: packed[at + 1] as number,
        line: packed[at + 2] as number,
        data: packed[at + 3] as string,
      });
      at += 4;
    }
    groups.push({ key, rows });
  }
  return groups;
}
