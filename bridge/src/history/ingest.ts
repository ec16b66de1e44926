import type { Mapping } from "../mapping/types.js";
import { matchEventColumns, type EventColumns } from "./columns.js";
import { addSkipped, type PhaseOutput, type PhaseTally } from "./phase-io.js";
import type { EventAction, HistoryStaging } from "./staging.js";
import { questionKeyOf, surveyKeyOf } from "./survey.js";
import { PROFILE_SURVEY_CODE, type ProfileSurveys } from "./survey-attributes.js";
import type { ZoneClock } from "./time-zone.js";
import { parseTimestamp } from "./timestamp.js";

/** One data row of a CSV or XLSX export; cells without a value are `undefined`. */
export interface TableRowLike {
  line: number;
  cells: (string | undefined)[];
  /** Set when the row cannot be read as a whole (for example a wrong field count). */
  problem?: string;
}

/** A tabular snapshot file as the snapshot reader opens it. */
export interface TableLike {
  file: string;
  headers: string[];
  rows(): AsyncIterable<TableRowLike>;
}

/** Import rule of one event code, from its mapping entry. */
export interface EventRule {
  code: string;
  label: string;
  action: EventAction | "skip" | "invalid";
  threshold: number;
  /** Reason the rule cannot apply, for `invalid`. */
  reason?: string;
}

/** Read the event entries of the mapping into one rule per event code. */
export function eventRules(mapping: Mapping): Map<string, EventRule> {
  const rules = new Map<string, EventRule>();
  const defaultThreshold = mapping.settings.eventConsolidationThreshold;
  for (const entry of mapping.entries) {
    if (entry.source.kind !== "event") {
      continue;
    }

    const action = entry.target.action;
    const rule: EventRule = {
      code: entry.source.name,
      label: entry.source.label || entry.source.name,
      action: "invalid",
      threshold: entry.options?.consolidationThreshold ?? defaultThreshold,
    };
    if (action === "skip") {
      rule.action = "skip";
    } else if (action === "note" || action === "activity") {
      rule.action = entry.options?.survey === true ? "survey" : action;
    } else {
      rule.reason = `is mapped to "${action}", which cannot apply to an event; use note, activity or skip`;
    }
    rules.set(rule.code, rule);
  }
  return rules;
}

/** Files read by the history phase, numbered in reading order for the staging tables. */
export class FileRegistry {
  readonly files: string[] = [];
  readonly userColumns: string[] = [];
  private readonly ids = new Map<string, number>();

  register(file: string, userColumn: string): number {
    this.files.push(file);
    this.userColumns.push(userColumn);
    this.ids.set(file, this.files.length - 1);
    return this.files.length - 1;
  }

  /** Id of a file registered before, or of a new registration. */
  idOf(file: string, userColumn: string): number {
    return this.ids.get(file) ?? this.register(file, userColumn);
  }
}

export interface IngestContext {
  clock: ZoneClock;
  staging: HistoryStaging;
  tally: PhaseTally;
  output: PhaseOutput<unknown>;
  registry: FileRegistry;
  /** Lines of campaigns.json entries that were rejected, by campaign id and notification key. */
  rejectedCampaigns?: Map<string, number | undefined>;
  /** Called every `PROGRESS_ROWS` source rows with the rows read so far. */
  onProgress?: (rows: number, what: string) => void;
}

const PROGRESS_ROWS = 50_000;

export async function quarantine(
  context: IngestContext,
  file: string,
  line: number,
  column: string,
  value: string,
  reason: string,
): Promise<void> {
  context.tally.quarantined += 1;
  // Every history row is one message, so a bad value rejects its row.
  await context.output.quarantine({ file, line, column, value, reason: `row rejected: ${reason}` });
}

/** Stage the rows of one events file; bad rows are quarantined with file, line and column. */
export async function ingestEventTable(
  table: TableLike,
  rules: Map<string, EventRule>,
  context: IngestContext,
): Promise<void> {
  const columns = matchEventColumns(table.file, table.headers);
  const userHeader = table.headers[columns.user]!;
  const fileId = context.registry.register(table.file, userHeader);
  const { clock, staging, tally } = context;
  const reject = (
    line: number,
    column: number | undefined,
    value: string,
    reason: string,
  ): Promise<void> =>
    quarantine(
      context,
      table.file,
      line,
      column === undefined ? "" : table.headers[column]!,
      value,
      reason,
    );

  for await (const row of table.rows()) {
    tally.read += 1;
    if (tally.read % PROGRESS_ROWS === 0) {
      context.onProgress?.(tally.read, "history rows read");
    }
    if (row.problem) {
      await reject(row.line, undefined, "", row.problem);
      continue;
    }

    const code = row.cells[columns.code]?.trim();
    if (!code) {
      await reject(row.line, columns.code, "", "is empty; every event needs an event code");
      continue;
    }

    const rule = rules.get(code);
    if (!rule || rule.action === "invalid") {
      const reason = rule?.reason ?? "has no entry in mapping.json; run map again and confirm it";
      await reject(row.line, columns.code, code, reason);
      continue;
    }

    if (rule.action === "skip") {
      addSkipped(tally, `mapping skips event ${code}`);
      continue;
    }

    // Trimmed like the contacts phase trims it; case and every other character count.
    const extId = row.cells[columns.user]?.trim();
    if (!extId) {
      addSkipped(tally, "no external ID (anonymous installation)");
      continue;
    }

    const rawTime = row.cells[columns.time] ?? "";
    const time = parseTimestamp(rawTime, clock);
    if (!time.ok) {
      await reject(row.line, columns.time, rawTime, time.reason);
      continue;
    }

    const attributes = readAttributes(row, columns);
    if (!attributes.ok) {
      await reject(row.line, columns.attributes, attributes.value, attributes.reason);
      continue;
    }

    const staged = {
      extId,
      code,
      utcMs: time.utcMs,
      day: clock.localDay(time.utcMs),
      attributes: attributes.text ?? JSON.stringify(attributes.value),
      fileId,
      line: row.line,
    };
    if (rule.action === "survey") {
      staging.addSurveyAnswer({
        ...staged,
        surveyKey: surveyKeyOf(attributes.value),
        questionKey: questionKeyOf(attributes.value),
      });
    } else {
      staging.addEvent(staged);
    }
  }
}

type AttributesResult =
  /** `text` is the source JSON when it holds every attribute, which saves encoding it again. */
  | { ok: true; value: Record<string, unknown>; text?: string }
  | { ok: false; value: string; reason: string };

function readAttributes(row: TableRowLike, columns: EventColumns): AttributesResult {
  const attributes: Record<string, unknown> = {};
  let source: string | undefined;
  if (columns.attributes !== undefined) {
    const text = row.cells[columns.attributes]?.trim();
    if (text) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return { ok: false, value: text, reason: "is not valid JSON; expected an object" };
      }
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        return { ok: false, value: text, reason: "is not a JSON object" };
      }
      Object.assign(attributes, parsed);
      source = text;
    }
  }

  for (const index of columns.extra) {
    const value = row.cells[index];
    if (value !== undefined && value.trim() !== "") {
      attributes[columns.headers[index]!] = value;
      source = undefined;
    }
  }
  return { ok: true, value: attributes, text: source };
}

/** Stage the survey answers kept as profile attributes, one answer set per contact. */
export async function ingestProfileAnswers(
  surveys: ProfileSurveys,
  context: IngestContext,
): Promise<void> {
  const { knownAt } = surveys;
  const day = knownAt === undefined ? "" : context.clock.localDay(knownAt);
  for await (const set of surveys.answerSets) {
    context.tally.read += 1;
    if (knownAt === undefined) {
      addSkipped(context.tally, "profile survey answers cannot be dated: no pulledAt in manifest");
      continue;
    }

    context.staging.addSurveyAnswer({
      extId: set.extId,
      code: PROFILE_SURVEY_CODE,
      surveyKey: "",
      questionKey: undefined,
      utcMs: knownAt,
      day,
      attributes: JSON.stringify(set.answers),
      fileId: context.registry.idOf(set.source.file, "extId"),
      line: set.source.line,
    });
  }
}
