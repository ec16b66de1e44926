import { z } from "zod";
import {
  assetListSchema,
  contentSchema,
  describeList,
  describeValue,
  firstText,
  idSchema,
  textSchema,
} from "./schema-common.js";

/** Journeys, widgets and surveys: definitions that only reach Odoo through the inventory. */

/** Amount and unit of a wait step given as `{value|amount, unit}`; null parts otherwise. */
function parseDelay(delay: unknown): { delayAmount: number | null; delayUnit: string | null } {
  if (delay === null || typeof delay !== "object") {
    return { delayAmount: null, delayUnit: null };
  }

  const fields = delay as Record<string, unknown>;
  const amount = Number(fields.value ?? fields.amount ?? fields.duration);
  const unit = firstText(fields.unit, fields.timeUnit);
  return {
    delayAmount: Number.isFinite(amount) ? amount : null,
    delayUnit: unit ? unit.toUpperCase().replace(/S$/, "") : null,
  };
}

export const journeyStepSchema = z
  .looseObject({
    id: idSchema.nullish(),
    type: textSchema.nullish(),
    stepType: textSchema.nullish(),
    kind: textSchema.nullish(),
    channel: textSchema.nullish(),
    channelType: textSchema.nullish(),
    name: textSchema.nullish(),
    title: textSchema.nullish(),
    label: textSchema.nullish(),
    content: contentSchema,
    delay: z.unknown().optional(),
    wait: z.unknown().optional(),
    condition: z.unknown().optional(),
    tag: z.unknown().optional(),
  })
  .transform((step) => ({
    id: step.id ?? null,
    type: (firstText(step.type, step.stepType, step.kind) ?? "STEP").toUpperCase(),
    channel: firstText(step.channel, step.channelType)?.toUpperCase() ?? null,
    name: firstText(step.name, step.title, step.label),
    content: step.content,
    delay: describeValue(step.delay ?? step.wait) || null,
    ...parseDelay(step.delay ?? step.wait),
    condition: describeValue(step.condition) || null,
    tag: describeValue(step.tag) || null,
  }));

export type JourneyStepDefinition = z.output<typeof journeyStepSchema>;

const conversionSchema = z
  .looseObject({
    events: z.array(textSchema).nullish(),
    event: textSchema.nullish(),
    window: z.unknown().optional(),
  })
  .nullish();

export const journeySchema = z
  .looseObject({
    id: idSchema.nullish(),
    name: textSchema.nullish(),
    title: textSchema.nullish(),
    status: textSchema.nullish(),
    type: textSchema.nullish(),
    createdBy: textSchema.nullish(),
    createdAt: textSchema.nullish(),
    entry: z.unknown().optional(),
    entryConditions: z.unknown().optional(),
    steps: z.array(journeyStepSchema).nullish(),
    conversion: conversionSchema,
    conversionEvents: z.array(textSchema).nullish(),
  })
  .refine((journey) => firstText(journey.name, journey.title, journey.id) !== null, {
    message: "a journey needs a name or an id",
  })
  .transform((journey) => ({
    id: journey.id ?? null,
    name: firstText(journey.name, journey.title, journey.id) ?? "",
    status: journey.status ?? null,
    type: journey.type ?? null,
    createdBy: journey.createdBy ?? null,
    createdAt: journey.createdAt ?? null,
    entry: journey.entry ?? journey.entryConditions ?? null,
    steps: journey.steps ?? [],
    conversionEvents: [
      ...(journey.conversionEvents ?? []),
      ...(journey.conversion?.events ?? []),
      ...(journey.conversion?.event ? [journey.conversion.event] : []),
    ],
    conversionWindow: describeValue(journey.conversion?.window) || null,
  }));

export type JourneyDefinition = z.output<typeof journeySchema>;

export const clickActionSchema = z
  .looseObject({
    label: textSchema.nullish(),
    text: textSchema.nullish(),
    type: textSchema.nullish(),
    action: z.unknown().optional(),
    value: textSchema.nullish(),
    url: textSchema.nullish(),
  })
  .transform((action) => ({
    label: firstText(action.label, action.text),
    type: firstText(action.type, typeof action.action === "string" ? action.action : null),
    value:
      firstText(action.value, action.url) ??
      (typeof action.action === "object" ? describeValue(action.action) || null : null),
  }));

export const widgetSchema = z
  .looseObject({
    id: idSchema.nullish(),
    name: textSchema.nullish(),
    title: textSchema.nullish(),
    type: textSchema.nullish(),
    widgetType: textSchema.nullish(),
    platform: textSchema.nullish(),
    status: textSchema.nullish(),
    content: contentSchema,
    text: textSchema.nullish(),
    trigger: z.unknown().optional(),
    triggers: z.unknown().optional(),
    clickActions: z.array(clickActionSchema).nullish(),
    actions: z.array(clickActionSchema).nullish(),
    buttons: z.array(clickActionSchema).nullish(),
    assets: assetListSchema,
    media: assetListSchema,
  })
  .refine((widget) => firstText(widget.name, widget.title, widget.id) !== null, {
    message: "a widget needs a name or an id",
  })
  .transform((widget) => ({
    id: widget.id ?? null,
    name: firstText(widget.name, widget.title, widget.id) ?? "",
    type: (firstText(widget.type, widget.widgetType) ?? "WIDGET").toUpperCase(),
    platform: widget.platform?.toUpperCase() ?? null,
    status: widget.status ?? null,
    content: {
      title: widget.content.title,
      text: widget.content.text ?? widget.text ?? null,
    },
    triggers: describeList(widget.trigger ?? widget.triggers),
    clickActions: [
      ...(widget.clickActions ?? []),
      ...(widget.actions ?? []),
      ...(widget.buttons ?? []),
    ],
    assets: [...(widget.assets ?? []), ...(widget.media ?? [])],
  }));

export type WidgetDefinition = z.output<typeof widgetSchema>;

const answerOptionSchema = z
  .union([
    textSchema,
    z.looseObject({
      label: textSchema.nullish(),
      text: textSchema.nullish(),
      value: textSchema.nullish(),
    }),
  ])
  .transform((option) =>
    typeof option === "string"
      ? option
      : (firstText(option.label, option.text, option.value) ?? ""),
  );

export const surveyQuestionSchema = z
  .looseObject({
    id: idSchema.nullish(),
    type: textSchema.nullish(),
    text: textSchema.nullish(),
    title: textSchema.nullish(),
    question: textSchema.nullish(),
    label: textSchema.nullish(),
    options: z.array(answerOptionSchema).nullish(),
    answers: z.array(answerOptionSchema).nullish(),
    choices: z.array(answerOptionSchema).nullish(),
    required: z.boolean().nullish(),
    displayLogic: z.unknown().optional(),
    showIf: z.unknown().optional(),
    visibility: z.unknown().optional(),
  })
  .transform((question) => ({
    id: question.id ?? null,
    type: question.type?.toUpperCase() ?? null,
    text: firstText(question.text, question.title, question.question, question.label) ?? "",
    options: question.options ?? question.answers ?? question.choices ?? [],
    required: question.required ?? false,
    displayLogic:
      describeValue(question.displayLogic ?? question.showIf ?? question.visibility) || null,
  }));

export const surveySchema = z
  .looseObject({
    id: idSchema.nullish(),
    name: textSchema.nullish(),
    title: textSchema.nullish(),
    widgetId: idSchema.nullish(),
    submitAction: textSchema.nullish(),
    questions: z.array(surveyQuestionSchema).nullish(),
    elements: z.array(surveyQuestionSchema).nullish(),
  })
  .refine((survey) => firstText(survey.name, survey.title, survey.id) !== null, {
    message: "a survey needs a name or an id",
  })
  .transform((survey) => ({
    id: survey.id ?? null,
    name: firstText(survey.name, survey.title, survey.id) ?? "",
    widgetId: survey.widgetId ?? null,
    submitAction: survey.submitAction ?? null,
    questions: survey.questions ?? survey.elements ?? [],
  }));

export type SurveyDefinition = z.output<typeof surveySchema>;
