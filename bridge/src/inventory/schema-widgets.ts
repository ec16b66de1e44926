import { z } from "zod";
import {
  assetListSchema,
  assetSchema,
  byteSizeSchema,
  contentSchema,
  describeList,
  describeValue,
  firstText,
  idSchema,
  textSchema,
} from "./schema-common.js";

/** Widgets and surveys: definitions that only reach Odoo through the inventory. */

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

/** Element types that show text. The others are media, buttons or form fields. */
const TEXT_ELEMENTS = new Set(["TEXT", "HTML", "TITLE", "PARAGRAPH", "LABEL"]);
const MEDIA_ELEMENTS = new Set(["IMAGE", "VIDEO", "GIF"]);

/**
 * One element of a widget built in Netmera's editor: text, media, a button or a form field
 * (input, text area, radio, checkbox, select box, button group).
 */
const widgetElementSchema = z.looseObject({
  type: textSchema.nullish(),
  text: textSchema.nullish(),
  label: textSchema.nullish(),
  field: textSchema.nullish(),
  action: z.unknown().optional(),
  url: textSchema.nullish(),
  value: textSchema.nullish(),
  name: textSchema.nullish(),
  size: byteSizeSchema.nullish(),
  sizeBytes: byteSizeSchema.nullish(),
});

type WidgetElement = z.output<typeof widgetElementSchema>;

function splitElements(elements: WidgetElement[]) {
  const texts: string[] = [];
  const buttons: z.input<typeof clickActionSchema>[] = [];
  const media: z.input<typeof assetSchema>[] = [];
  const formFields: string[] = [];
  for (const element of elements) {
    const type = (element.type ?? "").toUpperCase();
    if (TEXT_ELEMENTS.has(type)) {
      const text = firstText(element.text, element.value, element.label);
      if (text) {
        texts.push(text);
      }
    } else if (type === "BUTTON") {
      buttons.push({
        label: element.text ?? element.label,
        action: element.action,
        url: element.url,
      });
    } else if (MEDIA_ELEMENTS.has(type)) {
      media.push({ ...element, type });
    } else {
      const label = firstText(element.label, element.text, element.name) ?? "(no label)";
      const target = element.field ? `, saved to ${element.field}` : "";
      formFields.push(`${label} (${type.toLowerCase() || "field"}${target})`);
    }
  }
  return { texts, buttons, media, formFields };
}

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
    elements: z.array(widgetElementSchema).nullish(),
  })
  .refine((widget) => firstText(widget.name, widget.title, widget.id) !== null, {
    message: "a widget needs a name or an id",
  })
  .transform((widget) => {
    const elements = splitElements(widget.elements ?? []);
    const texts = [widget.content.text ?? widget.text ?? null, ...elements.texts].filter(
      (text): text is string => Boolean(text),
    );
    return {
      id: widget.id ?? null,
      name: firstText(widget.name, widget.title, widget.id) ?? "",
      type: (firstText(widget.type, widget.widgetType) ?? "WIDGET").toUpperCase(),
      platform: widget.platform?.toUpperCase() ?? null,
      status: widget.status ?? null,
      content: {
        title: widget.content.title,
        text: texts.length > 0 ? texts.join("\n") : null,
      },
      triggers: describeList(widget.trigger ?? widget.triggers),
      clickActions: [
        ...(widget.clickActions ?? []),
        ...(widget.actions ?? []),
        ...(widget.buttons ?? []),
        ...elements.buttons.map((button) => clickActionSchema.parse(button)),
      ],
      assets: [
        ...(widget.assets ?? []),
        ...(widget.media ?? []),
        ...elements.media.map((item) => assetSchema.parse(item)),
      ],
      formFields: elements.formFields,
    };
  });

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
