import { countOf, formatCount, formatDateTime } from "./format.js";
import { SAMPLE_SIZE, type PlanPhase, type PlanQuality } from "./read-plan.js";
import type { InventorySnapshot } from "./read-snapshot.js";
import { viewCampaign, type CampaignView } from "./view-campaign.js";
import {
  viewJourney,
  viewSegment,
  viewSurvey,
  viewWidget,
  type JourneyView,
  type SegmentView,
  type SurveyView,
  type WidgetView,
} from "./view-sections.js";

/** Reconciliation of one migration run as `get_reconciliation` returns it from Odoo. */
export interface RunReconciliation {
  runId: number;
  /** Owners still waiting in the run's owner reconciliation queue, when known. */
  pendingOwners?: number;
  /** When the run was rolled back (UTC, as Odoo writes it), or null for a run in place. */
  rolledBackAt?: string | null;
  phases: {
    name: string;
    created: number;
    updated: number;
    unchanged: number;
    errors: number;
    in_odoo: number;
  }[];
}

export interface Section<T> {
  /** False when the snapshot has no file for this section. */
  present: boolean;
  file: string;
  items: T[];
  count: string;
}

export interface InventoryView {
  appName: string;
  customer: string | null;
  pulledAt: string | null;
  generatedAt: string;
  timeZone: string;
  /** Sections for the table of contents. `page` is known only while printing the PDF. */
  contents: { id: string; title: string; summary: string; page: number | null }[];
  journeys: Section<JourneyView> & { stepCount: string };
  campaigns: Section<CampaignView> & { flaggedAssets: string };
  segments: Section<SegmentView> & { dynamicCount: string; hasDynamic: boolean };
  widgets: Section<WidgetView> & { flaggedAssets: string };
  surveys: Section<SurveyView> & { questionCount: string };
  dataQuality: DataQualityView;
}

export interface DataQualityView {
  planDir: string | null;
  flagCounts: { flag: string; count: string }[];
  anonymous: FlagListView;
  untagged: FlagListView;
  unmatchedOwners: { email: string; contacts: string }[];
  ownersTruncated: boolean;
  quarantineTotal: string | null;
  quarantine: { reason: string; count: string; columns: string; first: string }[];
  quarantineOther: string | null;
  planPhases: {
    name: string;
    read: string;
    planned: string;
    quarantined: string;
    skipped: string;
    balanced: boolean;
  }[];
  run: RunView | null;
}

interface FlagListView {
  count: string;
  rows: { xmlId: string; extId: string; detail: string }[];
  more: string | null;
}

interface RunView {
  id: number;
  pendingOwners: string | null;
  rolledBackAt: string | null;
  phases: {
    name: string;
    read: string;
    written: string;
    created: string;
    updated: string;
    unchanged: string;
    quarantined: string;
    skipped: string;
    inOdoo: string;
    balanced: boolean;
    /** True only when the plan's figures are known and the equation fails. */
    unbalanced: boolean;
    rolledBack: boolean;
  }[];
}

export interface ViewOptions {
  plan?: PlanQuality | null;
  run?: RunReconciliation | null;
  /** Customer name for the cover, used instead of the manifest's own value. */
  customer?: string | null;
  now?: Date;
}

function section<T>(file: string, noun: string, items: T[] | null, map: (item: T) => unknown) {
  const list = items ?? [];
  return {
    present: items !== null,
    file,
    items: list.map(map),
    count: countOf(list.length, noun),
  };
}

/** Build everything the templates show from a validated snapshot and optional plan and run. */
export function buildInventoryView(
  snapshot: InventorySnapshot,
  options: ViewOptions = {},
): InventoryView {
  const timeZone = snapshot.manifest.timeZone;
  const segmentById = new Map((snapshot.segments ?? []).map((segment) => [segment.id, segment]));
  const surveys = snapshot.surveys ?? [];
  const widgets = snapshot.widgets ?? [];

  const journeys = section("journeys.json", "journey", snapshot.journeys, (journey) =>
    viewJourney(journey, segmentById, timeZone),
  ) as Section<JourneyView>;
  const campaigns = section("campaigns.json", "campaign", snapshot.campaigns, (campaign) =>
    viewCampaign(campaign, segmentById, timeZone),
  ) as Section<CampaignView>;
  const segments = section(
    "segments.json",
    "segment",
    snapshot.segments,
    viewSegment,
  ) as Section<SegmentView>;
  const widgetSection = section("widgets.json", "widget", snapshot.widgets, (widget) =>
    viewWidget(widget, surveys),
  ) as Section<WidgetView>;
  const surveySection = section("surveys.json", "survey", snapshot.surveys, (survey) =>
    viewSurvey(survey, widgets),
  ) as Section<SurveyView>;

  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
  const steps = countOf(sum(journeys.items.map((journey) => journey.steps.length)), "step");
  const campaignFlags = countOf(
    sum(campaigns.items.map((campaign) => campaign.flaggedAssets)),
    "flagged asset",
  );
  const dynamicCount = segments.items.filter((segment) => segment.dynamic).length;
  const dynamic = `${formatCount(dynamicCount)} dynamic`;
  const widgetFlags = countOf(
    sum(widgetSection.items.map((widget) => widget.flaggedAssets)),
    "flagged asset",
  );
  const questions = countOf(
    sum(surveySection.items.map((survey) => survey.questions.length)),
    "question",
  );
  const dataQuality = buildDataQuality(options.plan ?? null, options.run ?? null);

  return {
    appName: snapshot.manifest.appName ?? "Netmera app",
    customer: options.customer ?? snapshot.manifest.customer,
    pulledAt: formatDateTime(snapshot.manifest.pulledAt, timeZone),
    generatedAt: formatDateTime((options.now ?? new Date()).toISOString(), timeZone) ?? "",
    timeZone,
    contents: [
      ["journeys", "Journeys", `${journeys.count}, ${steps}`],
      ["campaigns", "Campaigns", `${campaigns.count}, ${campaignFlags}`],
      ["segments", "Segments", `${segments.count}, ${dynamic}`],
      ["widgets", "Widgets", `${widgetSection.count}, ${widgetFlags}`],
      ["surveys", "Surveys", `${surveySection.count}, ${questions}`],
      ["not-migrated", "Not migrated", "push tokens, journey logic, widget rendering"],
      ["data-quality", "Data quality", dataQualitySummary(dataQuality)],
    ].map(([id, title, summary]) => ({
      id,
      title,
      summary,
      page: null,
    })) as InventoryView["contents"],
    journeys: { ...journeys, stepCount: steps },
    campaigns: { ...campaigns, flaggedAssets: campaignFlags },
    segments: {
      ...segments,
      dynamicCount: countOf(dynamicCount, "dynamic segment"),
      hasDynamic: dynamicCount > 0,
    },
    widgets: { ...widgetSection, flaggedAssets: widgetFlags },
    surveys: { ...surveySection, questionCount: questions },
    dataQuality,
  };
}

function dataQualitySummary(view: DataQualityView): string {
  if (view.planDir === null) {
    return "no plan given";
  }

  const parts = [`${view.anonymous.count} anonymous`, `${view.untagged.count} untagged`];
  if (view.quarantineTotal !== null) {
    parts.push(`${view.quarantineTotal} quarantined`);
  }
  return parts.join(", ");
}

function flagList(plan: PlanQuality | null, flag: string): FlagListView {
  const count = plan?.flags?.counts.find((entry) => entry.flag === flag)?.count ?? 0;
  const rows = plan?.flags?.samples.get(flag) ?? [];
  return {
    count: formatCount(count),
    rows: rows.map(({ xmlId, extId, detail }) => ({ xmlId, extId, detail })),
    more:
      count > rows.length
        ? `${formatCount(count - rows.length)} more in flags.csv (the first ${SAMPLE_SIZE} are shown)`
        : null,
  };
}

function buildDataQuality(
  plan: PlanQuality | null,
  run: RunReconciliation | null,
): DataQualityView {
  const quarantine = plan?.quarantine ?? null;
  return {
    planDir: plan?.dir ?? null,
    flagCounts: (plan?.flags?.counts ?? []).map(({ flag, count }) => ({
      flag,
      count: formatCount(count),
    })),
    anonymous: flagList(plan, "anonymous"),
    untagged: flagList(plan, "untagged"),
    unmatchedOwners: (plan?.flags?.unmatchedOwners ?? []).map(({ email, contacts }) => ({
      email,
      contacts: formatCount(contacts),
    })),
    ownersTruncated: plan?.flags?.ownersTruncated ?? false,
    quarantineTotal: quarantine ? formatCount(quarantine.total) : null,
    quarantine: (quarantine?.reasons ?? []).map((reason) => ({
      reason: reason.reason,
      count: formatCount(reason.count),
      columns: reason.columns.join(", "),
      first: `${reason.firstFile} line ${reason.firstLine}`,
    })),
    quarantineOther: quarantine?.otherRows ? formatCount(quarantine.otherRows) : null,
    planPhases: (plan?.reconciliation ?? []).map((phase) => ({
      name: phase.name,
      read: formatCount(phase.read),
      planned: formatCount(phase.planned),
      quarantined: formatCount(phase.quarantined),
      skipped: formatCount(phase.skipped),
      balanced: phase.read === phase.planned + phase.quarantined + phase.skipped,
    })),
    run: run ? buildRunView(run, plan?.reconciliation ?? null) : null,
  };
}

/**
 * Check each phase of a run: read = written + quarantined + skipped, where written is created +
 * updated + unchanged and quarantined adds the plan's quarantine to the rows Odoo rejected.
 * Without the plan's figures the read side is unknown and the check is left open.
 */
function buildRunView(run: RunReconciliation, planPhases: PlanPhase[] | null): RunView {
  return {
    id: run.runId,
    // Formatted counts are text, and Handlebars' #if takes "0" as true, so none is null.
    pendingOwners: run.pendingOwners ? formatCount(run.pendingOwners) : null,
    rolledBackAt: run.rolledBackAt ?? null,
    phases: run.phases.map((phase) => {
      const planned = planPhases?.find((candidate) => candidate.name === phase.name);
      const written = phase.created + phase.updated + phase.unchanged;
      const quarantined = (planned?.quarantined ?? 0) + phase.errors;
      const skipped = planned?.skipped ?? 0;
      const balanced = planned ? planned.read === written + quarantined + skipped : null;
      return {
        name: phase.name,
        read: planned ? formatCount(planned.read) : "—",
        written: formatCount(written),
        created: formatCount(phase.created),
        updated: formatCount(phase.updated),
        unchanged: formatCount(phase.unchanged),
        quarantined: formatCount(quarantined),
        skipped: formatCount(skipped),
        inOdoo: formatCount(phase.in_odoo),
        // A rolled-back run's records are gone, so its figures are history, not a check.
        balanced: !run.rolledBackAt && balanced === true,
        unbalanced: !run.rolledBackAt && balanced === false,
        rolledBack: Boolean(run.rolledBackAt),
      };
    }),
  };
}
