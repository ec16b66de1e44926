import { plannedContactExtIds, type PhaseProducer, type PlanContext } from "../plan/context.js";
import type { PhaseWriter } from "../plan/outputs.js";
import { segmentItems } from "../plan/phase-segments.js";
import type { PhaseCounts } from "../plan/types.js";
import { streamJsonRecords } from "../snapshot/json-stream.js";
import { Staging } from "../snapshot/staging.js";
import { mergeGroup, stageSnapshot } from "../snapshot/users.js";
import { inFolder, snapshotPath } from "../snapshot/snapshot.js";
import { openTable } from "../snapshot/table.js";
import { planCampaignsPhase } from "./campaigns-phase.js";
import { planHistoryPhase } from "./history-phase.js";
import type { PhaseOutput, PhaseTally } from "./phase-io.js";
import {
  profileAnswers,
  surveyAttributeEntries,
  type ProfileAnswerSet,
  type ProfileSurveys,
} from "./survey-attributes.js";
import { ZoneClock } from "./time-zone.js";
import type { CampaignsPhaseRow, MessageRow, PlanRowOf } from "./types.js";

const TABLE_EXTENSIONS = new Set([".csv", ".txt", ".tsv", ".xlsx"]);
const RECORD_EXTENSIONS = new Set([...TABLE_EXTENSIONS, ".json", ".ndjson", ".jsonl"]);

function phaseOutput<Row extends PlanRowOf<object>>(
  context: PlanContext,
  writer: PhaseWriter,
): PhaseOutput<Row> {
  return {
    // The writer hashes the values itself, with the same canonical JSON as `valuesHash`.
    row: (row) =>
      writer.write({
        xml_id: row.xml_id,
        values: row.values as Record<string, unknown>,
        source: row.source,
      }),
    quarantine: (entry) =>
      context.outputs.quarantine({ ...entry, line: entry.line === "" ? 0 : entry.line }),
    flag: (entry) => context.outputs.flag(entry),
  };
}

function phaseCounts(name: string, tally: PhaseTally): PhaseCounts {
  return {
    name,
    read: tally.read,
    planned: tally.planned,
    quarantined: tally.quarantined,
    skipped: tally.skipped,
    skippedReasons: tally.skipReasons,
  };
}

/**
 * Survey answers kept as profile attributes (mapping entries marked `options.survey`), read
 * from the user files the way the contacts phase reads them. Undefined when no entry is marked,
 * so a snapshot without such answers is not staged a second time.
 */
function profileSurveys(context: PlanContext): ProfileSurveys | undefined {
  const entries = surveyAttributeEntries(context.mapping);
  if (entries.size === 0) {
    return undefined;
  }

  const pulledAt = context.snapshot.manifest?.pulledAt;
  const knownAt = pulledAt ? Date.parse(pulledAt) : NaN;
  async function* answerSets(): AsyncGenerator<ProfileAnswerSet> {
    const staging = new Staging(context.workDir);
    try {
      // The contacts phase quarantines bad user rows already; listing them twice would double them.
      await stageSnapshot(
        context.snapshot,
        staging,
        context.attributes,
        { onProblem: () => undefined },
        context.logger,
      );
      const files = staging.files();
      for (const group of staging.groups()) {
        const answers = profileAnswers(mergeGroup(group, files), entries);
        if (answers) {
          yield answers;
        }
      }
    } finally {
      staging.close();
    }
  }
  return { knownAt: Number.isNaN(knownAt) ? undefined : knownAt, answerSets: answerSets() };
}

/** `campaigns` phase: activity types of events mapped to `activity`, then utm.campaign rows. */
export const campaignsPhase: PhaseProducer = {
  name: "campaigns",
  after: ["tags"],
  async produce(context, writer) {
    context.progress.start("campaigns");
    const tally = await planCampaignsPhase(
      {
        snapshotDir: context.snapshot.root,
        clock: new ZoneClock(context.snapshot.sourceTimeZone),
        mapping: context.mapping,
        segmentIds: new Set(segmentItems(context).map((item) => item.id)),
      },
      phaseOutput<CampaignsPhaseRow>(context, writer),
    );
    context.progress.finish(tally.read);
    return phaseCounts("campaigns", tally);
  },
};

/** `history` phase: events, survey answers and campaign deliveries as chatter messages. */
export const historyPhase: PhaseProducer = {
  name: "history",
  after: ["contacts", "campaigns"],
  async produce(context, writer) {
    context.progress.start("history");
    const { snapshot } = context;
    const tally = await planHistoryPhase(
      {
        snapshotDir: snapshot.root,
        clock: new ZoneClock(snapshot.sourceTimeZone),
        mapping: context.mapping,
        eventFiles: inFolder(snapshot.files, "events", TABLE_EXTENSIONS),
        pushResultFiles: inFolder(snapshot.files, "push-results", RECORD_EXTENSIONS),
        openTable: (file) => openTable(snapshotPath(snapshot, file), file, context.logger),
        readJsonRecords: (file) => streamJsonRecords(snapshotPath(snapshot, file), file),
        contactExtIds: plannedContactExtIds(context.state),
        profileSurveys: profileSurveys(context),
        onProgress: (rows, what) => context.progress.update(rows, what),
        workDir: context.workDir,
        logger: context.logger,
      },
      phaseOutput<MessageRow>(context, writer),
    );
    context.progress.finish(tally.read);
    return phaseCounts("history", tally);
  },
};
