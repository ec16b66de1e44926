import { fullXmlId, xmlIdFor } from "../core/xml-id.js";
import { formatCount, formatDateTime, viewAsset, type AssetView } from "./format.js";
import {
  CONDITION_STEPS,
  suggestEntryAutomation,
  suggestStepAutomation,
  suggestWidgetRebuild,
  type AutomationSuggestion,
  type WidgetRebuild,
} from "./rebuild.js";
import type { SegmentDefinition } from "./schema-campaigns.js";
import { describeList, describeValue } from "./schema-common.js";
import type { JourneyDefinition } from "./schema-journeys.js";
import type { SurveyDefinition, WidgetDefinition } from "./schema-widgets.js";

/**
 * View models of the inventory sections: plain strings and lists, so that the templates only
 * lay them out. Every string from the snapshot stays raw here, because Handlebars escapes it.
 */

export interface SegmentLookup {
  get(id: string): SegmentDefinition | undefined;
}

export interface JourneyView {
  id: string | null;
  name: string;
  status: string | null;
  type: string | null;
  createdBy: string | null;
  createdAt: string | null;
  entryConditions: string[];
  entryAutomation: AutomationSuggestion;
  steps: {
    number: number;
    type: string;
    channel: string | null;
    name: string | null;
    title: string | null;
    text: string | null;
    detail: string | null;
    automation: AutomationSuggestion;
  }[];
  conversionEvents: string[];
  conversionWindow: string | null;
  /** Netmera's statistics at pull time ("entered: 5,120"). */
  stats: string[];
}

export function viewJourney(
  journey: JourneyDefinition,
  segments: SegmentLookup,
  timeZone: string,
): JourneyView {
  // A wait applies to the next step that does something. A condition in between only adds a
  // domain to that step's rule, so it does not use up the wait.
  let pendingWait: JourneyDefinition["steps"][number] | null = null;
  const steps = journey.steps.map((step, index) => {
    const automation = suggestStepAutomation(step, pendingWait, index === 0);
    if (step.type === "WAIT" || step.type === "DELAY") {
      pendingWait = step;
    } else if (!CONDITION_STEPS.has(step.type)) {
      pendingWait = null;
    }
    return {
      number: index + 1,
      type: step.type,
      channel: step.channel,
      name: step.name,
      title: step.content.title,
      text: step.content.text,
      detail: step.delay ?? step.condition ?? (step.tag ? `tag: ${step.tag}` : null),
      automation,
    };
  });

  return {
    id: journey.id,
    name: journey.name,
    status: journey.status,
    type: journey.type,
    createdBy: journey.createdBy,
    createdAt: formatDateTime(journey.createdAt, timeZone),
    entryConditions: describeEntry(journey.entry, segments),
    entryAutomation: suggestEntryAutomation(journey, (id) => segments.get(id)?.name ?? null),
    steps,
    conversionEvents: journey.conversionEvents,
    conversionWindow: journey.conversionWindow,
    stats: journey.stats,
  };
}

function describeEntry(entry: unknown, segments: SegmentLookup): string[] {
  if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
    return describeList(entry);
  }

  return Object.entries(entry as Record<string, unknown>).flatMap(([key, value]) => {
    if (key === "conditions") {
      return describeList(value);
    }

    if (key === "segment" && typeof value === "string") {
      const segment = segments.get(value);
      return [segment ? `segment: ${segment.name} (${value})` : `segment: ${value}`];
    }
    const text = describeValue(value);
    return text ? [`${key}: ${text}`] : [];
  });
}

export interface SegmentView {
  id: string;
  name: string;
  type: string | null;
  rule: string | null;
  members: string;
  dynamic: boolean;
  tagXmlId: string;
  stageXmlId: string;
}

/**
 * NOTE: the tag and stage external IDs assume that `plan` keys both on the Netmera segment id
 * (`xmlIdFor("segment", id)` and `xmlIdFor("stage", id)`).
 */
export function viewSegment(segment: SegmentDefinition): SegmentView {
  return {
    id: segment.id,
    name: segment.name,
    type: segment.type,
    rule: segment.rule,
    members: segment.userCount === null ? "not counted by Netmera" : formatCount(segment.userCount),
    dynamic: segment.dynamic,
    tagXmlId: fullXmlId(xmlIdFor("segment", segment.id)),
    stageXmlId: fullXmlId(xmlIdFor("stage", segment.id)),
  };
}

export interface WidgetView {
  id: string | null;
  name: string;
  type: string;
  platform: string | null;
  status: string | null;
  title: string | null;
  text: string | null;
  triggers: string[];
  clickActions: { label: string | null; type: string | null; value: string | null }[];
  assets: AssetView[];
  flaggedAssets: number;
  formFields: string[];
  rebuild: WidgetRebuild;
  surveyName: string | null;
}

export function viewWidget(widget: WidgetDefinition, surveys: SurveyDefinition[]): WidgetView {
  const assets = widget.assets.map(viewAsset);
  const survey = surveys.find((candidate) => widget.id && candidate.widgetId === widget.id);
  return {
    id: widget.id,
    name: widget.name,
    type: widget.type,
    platform: widget.platform,
    status: widget.status,
    title: widget.content.title,
    text: widget.content.text,
    triggers: widget.triggers,
    clickActions: widget.clickActions,
    assets,
    flaggedAssets: assets.filter((asset) => asset.overLimit).length,
    formFields: widget.formFields,
    rebuild: suggestWidgetRebuild(widget),
    surveyName: survey?.name ?? null,
  };
}

/** Destination of a form's responses in Netmera, by the widget's submit action. */
const submitActions: Record<string, string> = {
  USER_UPDATE: "answers were written to profile attributes (migrated as contact fields)",
  FIRE_EVENT: "answers were sent as custom events (migrated as chatter notes)",
  SEND_DATA: "answers were posted to the customer's own endpoint (not in the snapshot)",
};

export interface SurveyView {
  id: string | null;
  name: string;
  widgetName: string | null;
  submitAction: string | null;
  questions: {
    number: number;
    text: string;
    type: string | null;
    options: string[];
    required: boolean;
    displayLogic: string | null;
  }[];
}

export function viewSurvey(survey: SurveyDefinition, widgets: WidgetDefinition[]): SurveyView {
  const widget = widgets.find((candidate) => survey.widgetId && candidate.id === survey.widgetId);
  const action = survey.submitAction?.toUpperCase() ?? null;
  return {
    id: survey.id,
    name: survey.name,
    widgetName: widget?.name ?? null,
    submitAction: action ? `${action}: ${submitActions[action] ?? "unknown action"}` : null,
    questions: survey.questions.map((question, index) => ({ number: index + 1, ...question })),
  };
}
