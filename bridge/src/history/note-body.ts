/**
 * HTML bodies of the chatter messages the history phase writes. Every piece of source text is
 * escaped, so a value such as `<b>` shows as text in the chatter and never becomes markup.
 */

import { markXmlForbidden } from "../normalize/hidden-chars.js";

/** Attribute names that carry push tokens or device handles; they never reach Odoo. */
const SECRET_ATTRIBUTE = /token|registration_?id|installation_?id|fcm|apns|push_?id/i;

export function escapeHtml(text: string): string {
  return markXmlForbidden(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** True for an attribute name that may hold a push token or a device handle. */
export function isSecretAttribute(name: string): boolean {
  return SECRET_ATTRIBUTE.test(name);
}

/** Readable text of an attribute value: arrays joined with commas, objects as JSON. */
export function displayValue(value: unknown): string {
  if (value === null || value === undefined) {
    return "";
  }

  if (Array.isArray(value)) {
    return value.map(displayValue).join(", ");
  }

  if (typeof value === "object") {
    return JSON.stringify(value);
  }

  return String(value);
}

function attributeList(attributes: Record<string, unknown>): string {
  const items = Object.entries(attributes)
    .filter(([name]) => !isSecretAttribute(name))
    .map(
      ([name, value]) => `<li><b>${escapeHtml(name)}</b>: ${escapeHtml(displayValue(value))}</li>`,
    );
  return items.length > 0 ? `<ul>${items.join("")}</ul>` : "";
}

export interface MessageText {
  subject: string;
  body: string;
}

/** One event: its label, local time and attributes. */
export function eventMessage(input: {
  label: string;
  code: string;
  localTime: string;
  zone: string;
  attributes: Record<string, unknown>;
  done?: boolean;
}): MessageText {
  const name = input.label === input.code ? input.label : `${input.label} (${input.code})`;
  const verb = input.done ? "done" : "event";
  const heading =
    `<p><b>${escapeHtml(name)}</b> ${verb} at ${escapeHtml(input.localTime)}` +
    ` (${escapeHtml(input.zone)})</p>`;
  return { subject: input.label, body: heading + attributeList(input.attributes) };
}

/** Many events of one code for one contact on one local day, as a count with a time range. */
export function consolidatedMessage(input: {
  label: string;
  count: number;
  day: string;
  firstTime: string;
  lastTime: string;
  zone: string;
  threshold: number;
}): MessageText {
  const summary = `${input.label} × ${input.count} on ${input.day}, ${input.firstTime}–${input.lastTime}`;
  const body =
    `<p><b>${escapeHtml(summary)}</b> (${escapeHtml(input.zone)})</p>` +
    `<p>More than ${input.threshold} events of this kind on one day are kept as one note.</p>`;
  return { subject: summary, body };
}

export interface SurveyAnswer {
  question: string;
  answers: string[];
}

/**
 * One answer set: each question as a title with its answers below it. `known` marks answers
 * without an answer time (profile attributes), dated at the snapshot's pull time instead.
 */
export function surveyMessage(input: {
  title: string;
  localTime: string;
  zone: string;
  answers: SurveyAnswer[];
  known?: boolean;
}): MessageText {
  const when = input.known
    ? `answered by ${escapeHtml(input.localTime)}, when the snapshot was pulled`
    : `answered at ${escapeHtml(input.localTime)}`;
  const heading =
    `<p><b>${escapeHtml(input.title)}</b> ${when}` + ` (${escapeHtml(input.zone)})</p>`;
  const sections = input.answers.map((answer) => {
    const items = answer.answers.map((text) => `<li>${escapeHtml(text)}</li>`).join("");
    return `<p><b>${escapeHtml(answer.question)}</b></p><ul>${items}</ul>`;
  });
  return { subject: input.title, body: heading + sections.join("") };
}

export interface DeliveryStep {
  status: string;
  localTime: string;
  platform: string;
  error: string;
}

/** Status words of Netmera's delivery log, as the note shows them. */
const STATUS_WORDS: Record<string, string> = {
  SUCCESS: "sent",
  SENT: "sent",
  DELIVERED: "delivered",
  SHOWN: "opened",
  OPENED: "opened",
  CLICKED: "clicked",
  FAILED: "failed",
};

export function deliveryStatusWord(status: string): string {
  return STATUS_WORDS[status.toUpperCase()] ?? status.toLowerCase();
}

/** The delivery log of one campaign for one contact: sent, delivered, clicked, with times. */
export function deliveryMessage(input: {
  campaign: string;
  channel: string;
  zone: string;
  steps: DeliveryStep[];
}): MessageText {
  const words = [...new Set(input.steps.map((step) => deliveryStatusWord(step.status)))];
  const subject = `${input.channel} campaign "${input.campaign}": ${words.join(", ")}`;
  const items = input.steps.map((step) => {
    const platform = step.platform ? ` on ${escapeHtml(step.platform)}` : "";
    const error = step.error ? `: ${escapeHtml(step.error)}` : "";
    return (
      `<li>${escapeHtml(deliveryStatusWord(step.status))} at ${escapeHtml(step.localTime)}` +
      `${platform}${error}</li>`
    );
  });
  const body =
    `<p><b>${escapeHtml(input.channel)} campaign "${escapeHtml(input.campaign)}"</b>` +
    ` (times in ${escapeHtml(input.zone)})</p><ul>${items.join("")}</ul>`;
  return { subject, body };
}
