import type { ValueStats } from "./value-stats.js";

/** A profile attribute definition from profile-attributes.json. */
export interface AttributeDefinition {
  code: string;
  dataType?: string;
  name?: string | null;
  isArray?: boolean;
  standard: boolean;
}

/** An event definition from event-definitions.json with the codes of its attributes. */
export interface EventDefinitionInfo {
  code: string;
  name?: string | null;
  attributeCodes: string[];
  standard: boolean;
}

export interface ColumnObservation {
  header: string;
  /** Meaning the snapshot reader gave the header (`extId`, `attr:<code>`, `column:<header>` …). */
  meaning: string;
  files: Set<string>;
  stats: ValueStats;
}

export interface EventObservation {
  code: string;
  count: number;
  files: Set<string>;
  /**
   * Most events of this code seen for one contact on one local day. A lower bound when the
   * event files are not grouped by contact (see `collect.ts`).
   */
  maxPerContactDay: number;
  attributes: Map<string, ValueStats>;
}

/** Everything the mapping proposal looks at, collected in one streaming pass. */
export interface SnapshotObservations {
  timeZone: string;
  files: string[];
  attributes: AttributeDefinition[];
  /** Values per attribute code, over every user file that has a column for it. */
  attributeValues: Map<string, ValueStats>;
  attributeFiles: Map<string, Set<string>>;
  /** Columns of users and devices files, by header text. */
  columns: Map<string, ColumnObservation>;
  eventDefinitions: EventDefinitionInfo[];
  events: Map<string, EventObservation>;
  /** Owner e-mails (lower case) from owners.csv, to spot attributes that name an owner. */
  ownerEmails: Set<string>;
  /** Company ids from companies.csv, to spot attributes that link a contact to a company. */
  companyIds: Set<string>;
}
