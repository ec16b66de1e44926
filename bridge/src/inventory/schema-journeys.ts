import { z } from "zod";
import {
  contentSchema,
  describeList,
  describeValue,
  firstText,
  idSchema,
  textSchema,
  toCount,
} from "./schema-common.js";

/**
 * Journeys: definitions that only reach Odoo through the inventory. Netmera has no REST
 * endpoint for them, so the pull takes them from the panel or the MCP `workflow_*` functions.
 */

export interface Delay {
  delayAmount: number | null;
  /** MINUTE, HOUR, DAY, WEEK or MONTH. */
  delayUnit: string | null;
}

const ISO_DURATION =
  /^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Units of the ISO_DURATION groups in order, with their length in minutes. */
const isoUnits: [string, number][] = [
  ["YEAR", 525600],
  ["MONTH", 43200],
  ["WEEK", 10080],
  ["DAY", 1440],
  ["HOUR", 60],
  ["MINUTE", 1],
  ["SECOND", 1 / 60],
];

/**
 * Parse an ISO 8601 duration ("P2D", "PT6H", "P1DT12H"). One component keeps its unit, and
 * years become months, Odoo's largest delay unit. Several components are added up in minutes,
 * so that no part of a delay is rounded away.
 */
export function parseIsoDuration(text: string): Delay | null {
  const match = ISO_DURATION.exec(text);
  if (!match) {
    return null;
  }

  const parts = isoUnits
    .map(([unit, minutes], index) => ({ unit, minutes, value: match[index + 1] }))
    .filter((part) => part.value !== undefined)
    .map((part) => ({ ...part, amount: Number(part.value) }));
  const [only] = parts;
  if (!only) {
    return null;
  }

  if (parts.length === 1) {
    return only.unit === "YEAR"
      ? { delayAmount: only.amount * 12, delayUnit: "MONTH" }
      : { delayAmount: only.amount, delayUnit: only.unit };
  }

  const total = parts.reduce((sum, part) => sum + part.amount * part.minutes, 0);
  return { delayAmount: total, delayUnit: "MINUTE" };
}

/** Amount and unit of a wait step: `{value|amount, unit}` or an ISO 8601 duration. */
function parseDelay(delay: unknown): Delay {
  if (typeof delay === "string") {
    return parseIsoDuration(delay.trim()) ?? { delayAmount: null, delayUnit: null };
  }

  if (delay === null || typeof delay !== "object") {
    return { delayAmount: null, delayUnit: null };
  }

  const fields = delay as Record<string, unknown>;
  const amount = Number(fields.value ?? fields.amount);
  const unit = firstText(fields.unit, fields.timeUnit);
  return {
    delayAmount: Number.isFinite(amount) ? amount : null,
    delayUnit: unit ? unit.toUpperCase().replace(/S$/, "") : null,
  };
}

/** "2 days", "6 hours" for a parsed delay, or null. */
export function describeDelay(delay: Delay): string | null {
  if (delay.delayAmount === null || delay.delayUnit === null) {
    return null;
  }

  const unit = delay.delayUnit.toLowerCase();
  return `${delay.delayAmount} ${unit}${delay.delayAmount === 1 ? "" : "s"}`;
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
    duration: z.unknown().optional(),
    condition: z.unknown().optional(),
    rule: z.unknown().optional(),
    tag: z.unknown().optional(),
  })
  .transform((step) => {
    const rawDelay = step.delay ?? step.wait ?? step.duration;
    const delay = parseDelay(rawDelay);
    const delayText = describeValue(rawDelay);
    const readable = describeDelay(delay);
    return {
      id: step.id ?? null,
      type: (firstText(step.type, step.stepType, step.kind) ?? "STEP").toUpperCase(),
      channel: firstText(step.channel, step.channelType)?.toUpperCase() ?? null,
      name: firstText(step.name, step.title, step.label),
      content: step.content,
      delay: readable && readable !== delayText ? `${readable} (${delayText})` : delayText || null,
      ...delay,
      condition: describeValue(step.condition ?? step.rule) || null,
      tag: describeValue(step.tag) || null,
    };
  });

export type JourneyStepDefinition = z.output<typeof journeyStepSchema>;

const conversionSchema = z
  .looseObject({
    events: z.array(textSchema).nullish(),
    event: textSchema.nullish(),
    window: z.unknown().optional(),
  })
  .nullish();

const eventListSchema = z.union([textSchema, z.array(textSchema)]).nullish();

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
    entryCondition: z.unknown().optional(),
    steps: z.array(journeyStepSchema).nullish(),
    conversion: conversionSchema,
    conversionEvents: eventListSchema,
    conversionEvent: eventListSchema,
    stats: z.record(z.string(), z.unknown()).nullish(),
  })
  .refine((journey) => firstText(journey.name, journey.title, journey.id) !== null, {
    message: "a journey needs a name or an id",
  })
  .transform((journey) => {
    const conversionEvents = [journey.conversionEvents, journey.conversionEvent]
      .flatMap((events) => (events === null || events === undefined ? [] : [events].flat()))
      .concat(journey.conversion?.events ?? [])
      .concat(journey.conversion?.event ? [journey.conversion.event] : []);
    return {
      id: journey.id ?? null,
      name: firstText(journey.name, journey.title, journey.id) ?? "",
      status: journey.status ?? null,
      type: journey.type ?? null,
      createdBy: journey.createdBy ?? null,
      createdAt: journey.createdAt ?? null,
      entry: journey.entry ?? journey.entryConditions ?? journey.entryCondition ?? null,
      steps: journey.steps ?? [],
      conversionEvents: [...new Set(conversionEvents)],
      conversionWindow: describeValue(journey.conversion?.window) || null,
      stats: describeStats(journey.stats),
    };
  });

/** Journey statistics as `label: value` lines (entered, converted, how conversions count). */
function describeStats(stats: Record<string, unknown> | null | undefined): string[] {
  if (!stats) {
    return [];
  }

  return Object.entries(stats).flatMap(([key, value]) => {
    const count = typeof value === "number" ? toCount(value) : null;
    const text = count !== null ? count.toLocaleString("en-US") : describeList(value).join("; ");
    return text ? [`${key}: ${text}`] : [];
  });
}

export type JourneyDefinition = z.output<typeof journeySchema>;
