import { extname } from "node:path";
import type { Logger } from "../core/log.js";
import { xmlIdFor } from "../core/xml-id.js";
import { markXmlForbidden } from "../normalize/hidden-chars.js";
import type { Mapping } from "../mapping/types.js";
import { indexCampaigns, readCampaigns, type Campaign } from "./campaign-source.js";
import { activityTypeXmlId } from "./campaigns-phase.js";
import { ingestDeliveryRecords, ingestDeliveryTable } from "./ingest-deliveries.js";
import {
  eventRules,
  FileRegistry,
  ingestEventTable,
  ingestProfileAnswers,
  type EventRule,
  type IngestContext,
  type TableLike,
} from "./ingest.js";
import {
  consolidatedMessage,
  deliveryMessage,
  eventMessage,
  surveyMessage,
  type MessageText,
} from "./note-body.js";
import { addSkipped, emptyTally, type PhaseOutput, type PhaseTally } from "./phase-io.js";
import { HistoryStaging, type StagedItem } from "./staging.js";
import { answersOf, readSurveys, type SurveyDefinition } from "./survey.js";
import {
  PROFILE_SURVEY_CODE,
  PROFILE_SURVEY_TITLE,
  type ProfileSurveys,
} from "./survey-attributes.js";
import { odooDatetime, type ZoneClock } from "./time-zone.js";
import { valuesHash, type MessageRow, type MessageValues } from "./types.js";

export interface HistoryPhaseInput {
  snapshotDir: string;
  clock: ZoneClock;
  mapping: Mapping;
  /** Snapshot-relative paths of `events/*` files, in reading order. */
  eventFiles: string[];
  /** Snapshot-relative paths of `push-results/*` files. */
  pushResultFiles: string[];
  openTable(file: string): Promise<TableLike>;
  /** Records of a JSON push-results file; required only when such files exist. */
  readJsonRecords?(file: string): AsyncIterable<{ line: number; value: unknown }>;
  /** Survey answers kept as profile attributes, when the mapping marks any as survey. */
  profileSurveys?: ProfileSurveys;
  /** extIds of the contacts the plan creates; history of any other extId is quarantined. */
  contactExtIds: Iterable<string> | AsyncIterable<string>;
  /** Directory for the disk-backed staging database (removed when the phase ends). */
  workDir: string;
  logger: Logger;
  /** Called now and then with the rows read or written so far, for progress lines. */
  onProgress?: (rows: number, what: string) => void;
}

const JSON_EXTENSIONS = new Set([".json", ".ndjson", ".jsonl"]);

/**
 * Plan the `history` phase: one chatter message per event, per consolidated event group, per
 * survey answer set and per campaign delivery log, in ascending time order across all
 * contacts. The order matters because Odoo's chatter sorts messages by id, and ids follow
 * creation order, so rows must be created in this order.
 */
export async function planHistoryPhase(
  input: HistoryPhaseInput,
  output: PhaseOutput<MessageRow>,
): Promise<PhaseTally> {
  const tally = emptyTally();
  const rules = eventRules(input.mapping);
  const { campaigns, rejected } = await readCampaigns(input.snapshotDir);
  const campaignIndex = indexCampaigns(campaigns);
  const surveys = await readSurveys(input.snapshotDir);
  const staging = new HistoryStaging(input.workDir);
  try {
    for (const rule of rules.values()) {
      staging.defineCode(rule.code, rule.action === "survey" ? "survey" : "note", rule.threshold);
    }

    const activityTypes = new Map<string, string>();
    for (const rule of rules.values()) {
      if (rule.action === "activity") {
        activityTypes.set(rule.code, activityTypeXmlId(rule.code));
      }
    }
    const context: IngestContext = {
      clock: input.clock,
      staging,
      tally,
      output,
      registry: new FileRegistry(),
      rejectedCampaigns: rejected,
      onProgress: input.onProgress,
    };
    await ingestFiles(input, rules, campaignIndex, context);
    if (input.profileSurveys) {
      await ingestProfileAnswers(input.profileSurveys, context);
    }

    await stageContacts(staging, input.contactExtIds);
    staging.finish();
    await quarantineUnknownContacts(staging, context);

    const writer = new MessageWriter(
      input.clock,
      rules,
      activityTypes,
      campaignIndex,
      surveys,
      context.registry.files,
    );
    for (const item of staging.orderedItems()) {
      const row = writer.rowFor(item);
      await output.row(row);
      tally.planned += 1;
      if (tally.planned % 50_000 === 0) {
        input.onProgress?.(tally.planned, "history rows planned");
      }
      const merged = itemRows(item) - 1;
      if (merged > 0) {
        addSkipped(tally, mergeReason(item), merged);
      }
    }
  } finally {
    staging.close();
  }

  input.logger.info(
    { phase: "history", read: tally.read, planned: tally.planned, skipped: tally.skipped },
    "history phase planned",
  );
  return tally;
}

async function ingestFiles(
  input: HistoryPhaseInput,
  rules: Map<string, EventRule>,
  campaigns: Map<string, Campaign>,
  context: IngestContext,
): Promise<void> {
  for (const file of input.eventFiles) {
    await ingestEventTable(await input.openTable(file), rules, context);
  }

  for (const file of input.pushResultFiles) {
    if (JSON_EXTENSIONS.has(extname(file).toLowerCase())) {
      if (!input.readJsonRecords) {
        throw new Error(`no JSON reader was passed for ${file}`);
      }
      await ingestDeliveryRecords(file, input.readJsonRecords(file), campaigns, context);
      continue;
    }

    await ingestDeliveryTable(await input.openTable(file), campaigns, context);
  }
}

async function stageContacts(
  staging: HistoryStaging,
  extIds: Iterable<string> | AsyncIterable<string>,
): Promise<void> {
  let batch: string[] = [];
  for await (const extId of extIds) {
    batch.push(extId);
    if (batch.length >= 10_000) {
      staging.addContacts(batch);
      batch = [];
    }
  }
  staging.addContacts(batch);
}

async function quarantineUnknownContacts(
  staging: HistoryStaging,
  context: IngestContext,
): Promise<void> {
  const { files, userColumns } = context.registry;
  for (const row of staging.unknownContactRows()) {
    await context.output.quarantine({
      file: files[row.fileId] ?? "",
      line: row.line,
      column: userColumns[row.fileId] ?? "",
      value: row.extId,
      reason: "row rejected: has no contact in the plan, so its history has no record to attach to",
    });
    context.tally.quarantined += 1;
  }
}

function itemRows(item: StagedItem): number {
  return item.type === "event" ? 1 : item.count;
}

function mergeReason(item: StagedItem): string {
  if (item.type === "consolidated") return "consolidated into a daily count note";
  if (item.type === "survey") return "merged into one note per survey answer set";
  return "merged into one note per campaign and contact";
}

/** Turns staged items into message rows; keeps the state that keeps external IDs unique. */
class MessageWriter {
  private lastEventKey = "";
  private duplicate = 0;
  /** Contact external IDs computed so far; cleared when full, so memory stays bounded. */
  private readonly contactXmlIds = new Map<string, string>();

  constructor(
    private readonly clock: ZoneClock,
    private readonly rules: Map<string, EventRule>,
    private readonly activityTypes: Map<string, string>,
    private readonly campaigns: Map<string, Campaign>,
    private readonly surveys: Map<string, SurveyDefinition>,
    private readonly files: string[],
  ) {}

  rowFor(item: StagedItem): MessageRow {
    const contact = { xml_id: this.contactXmlId(item.extId) };
    const date = odooDatetime(item.utcMs);
    const local = (ms: number): string => `${this.clock.localDay(ms)} ${this.clock.localTime(ms)}`;
    const zone = this.clock.zone;

    let key: string;
    let text: MessageText;
    let activityType: string | undefined;
    const source = {
      file: this.files[item.fileId] ?? "",
      line: item.line,
      ...(item.type === "event" ? {} : { rows: item.count }),
    };

    if (item.type === "event" || item.type === "consolidated") {
      const rule = this.rules.get(item.code);
      const label = rule?.label ?? item.code;
      activityType = this.activityTypes.get(item.code);
      if (item.type === "event") {
        key = this.eventKey(item.extId, item.code, item.utcMs);
        const attributes = JSON.parse(item.attributes) as Record<string, unknown>;
        text = eventMessage({
          label,
          code: item.code,
          localTime: local(item.utcMs),
          zone,
          attributes,
          done: activityType !== undefined,
        });
      } else {
        key = `events|${item.extId}|${item.code}|${item.day}`;
        text = consolidatedMessage({
          label,
          count: item.count,
          day: item.day,
          firstTime: this.clock.localTime(item.utcMs),
          lastTime: this.clock.localTime(item.lastMs),
          zone,
          threshold: rule?.threshold ?? 0,
        });
      }
    } else if (item.type === "survey") {
      const profile = item.code === PROFILE_SURVEY_CODE;
      // A contact has one set of profile answers; a new pull updates its note in place.
      key = profile
        ? `profile-survey|${item.extId}`
        : `survey|${item.extId}|${item.code}|${item.surveyKey}|${item.utcMs}`;
      const survey = this.surveys.get(item.surveyKey);
      const events = JSON.parse(item.answers) as Record<string, unknown>[];
      text = surveyMessage({
        title: profile
          ? PROFILE_SURVEY_TITLE
          : (survey?.name ?? this.rules.get(item.code)?.label ?? item.code),
        localTime: local(item.utcMs),
        zone,
        answers: answersOf(events, survey),
        known: profile,
      });
    } else {
      key = `delivery|${item.campaign}|${item.extId}`;
      const campaign = this.campaigns.get(item.campaign);
      const steps = JSON.parse(item.steps) as [string, number, string, string][];
      text = deliveryMessage({
        campaign: campaign?.name ?? item.campaign,
        channel: campaign?.channel ?? "PUSH",
        zone,
        steps: steps.map(([status, ms, platform, error]) => ({
          status,
          localTime: local(ms),
          platform,
          error,
        })),
      });
    }

    const values: MessageValues = {
      kind: activityType ? "activity" : "note",
      res_id: contact,
      date,
      // Labels and titles come from the snapshot as they are; XML-RPC cannot carry some controls.
      subject: markXmlForbidden(text.subject),
      body: text.body,
      ...(activityType ? { mail_activity_type_id: { xml_id: activityType } } : {}),
    };
    return {
      xml_id: xmlIdFor("message", key),
      values,
      hash: valuesHash(values),
      source,
    };
  }

  private contactXmlId(extId: string): string {
    let xmlId = this.contactXmlIds.get(extId);
    if (xmlId === undefined) {
      if (this.contactXmlIds.size >= 100_000) {
        this.contactXmlIds.clear();
      }
      xmlId = xmlIdFor("user", extId);
      this.contactXmlIds.set(extId, xmlId);
    }
    return xmlId;
  }

  /** Key of one event; identical (contact, code, instant) triples are numbered in order. */
  private eventKey(extId: string, code: string, utcMs: number): string {
    const base = `event|${extId}|${code}|${utcMs}`;
    this.duplicate = base === this.lastEventKey ? this.duplicate + 1 : 0;
    this.lastEventKey = base;
    return this.duplicate === 0 ? base : `${base}|${this.duplicate}`;
  }
}
