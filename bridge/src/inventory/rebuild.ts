import type { JourneyDefinition, JourneyStepDefinition } from "./schema-journeys.js";
import type { WidgetDefinition } from "./schema-widgets.js";
import { describeValue } from "./schema-common.js";

/**
 * How to rebuild a journey step as an Odoo automation rule (`base.automation`, module
 * base_automation). Trigger and action names are the labels Odoo 18 shows, with the technical
 * value in brackets so that an admin can also create the rule over XML-RPC.
 */
export interface AutomationSuggestion {
  trigger: string;
  action: string;
  note: string | null;
}

/** Netmera delay units → Odoo `trg_date_range_type` (minutes, hour, day, month). */
const delayUnits: Record<string, { unit: string; label: string; factor: number }> = {
  SECOND: { unit: "minutes", label: "minute", factor: 1 / 60 },
  MINUTE: { unit: "minutes", label: "minute", factor: 1 },
  HOUR: { unit: "hour", label: "hour", factor: 1 },
  DAY: { unit: "day", label: "day", factor: 1 },
  WEEK: { unit: "day", label: "day", factor: 7 },
  MONTH: { unit: "month", label: "month", factor: 1 },
};

/** Step types that only decide who goes on, so they become a domain, not a rule. */
export const CONDITION_STEPS = new Set(["CONDITION", "SPLIT", "FILTER", "IF"]);

/** Suggest the automation rule that starts a journey. */
export function suggestEntryAutomation(
  journey: JourneyDefinition,
  segmentTagName: (segmentId: string) => string | null,
): AutomationSuggestion {
  const entry = (
    typeof journey.entry === "string" ? { text: journey.entry } : (journey.entry ?? {})
  ) as Record<string, unknown>;
  const entryText = typeof entry.text === "string" ? entry.text : "";
  const segmentId = typeof entry.segment === "string" ? entry.segment : null;
  if (segmentId) {
    const tag = segmentTagName(segmentId) ?? segmentId;
    return {
      trigger: `Tag is added (on_tag_set) on Contact, tag "${tag}"`,
      action: "the first step below",
      note: "Netmera re-evaluates the segment; in Odoo the tag only changes when someone sets it.",
    };
  }

  const eventName =
    typeof entry.event === "string"
      ? `"${entry.event}"`
      : /\bevent\b/i.test(entryText)
        ? "the event"
        : null;
  if (eventName) {
    return {
      trigger: `On webhook (on_webhook) on Contact, called by the app when ${eventName} happens`,
      action: "the first step below",
      note: "Events stop reaching Odoo after the migration unless the app calls the webhook.",
    };
  }

  if (journey.type?.toUpperCase().includes("TIME") || entry.schedule) {
    return {
      trigger: "Based on date field (on_time) on Contact, or a scheduled action (ir.cron)",
      action: "the first step below",
      note: entry.schedule ? `Netmera schedule: ${describeValue(entry.schedule)}.` : null,
    };
  }

  return {
    trigger: "On save (on_create_or_write) on Contact, with a domain for the entry conditions",
    action: "the first step below",
    note: null,
  };
}

/**
 * Suggest the automation rule for one step. `previousDelay` is the wait step before it, because
 * Odoo puts the delay on the rule that runs after the wait. `first` is true for the journey's
 * first step, which runs in the entry rule.
 */
export function suggestStepAutomation(
  step: JourneyStepDefinition,
  previousDelay: JourneyStepDefinition | null,
  first: boolean,
): AutomationSuggestion {
  let trigger = "runs in the same rule as the previous step (Execute Existing Actions, multi)";
  if (previousDelay) {
    trigger = delayedTrigger(previousDelay);
  } else if (first) {
    trigger = "the rule that starts the journey (above)";
  }

  switch (step.type) {
    case "WAIT":
    case "DELAY":
      return {
        trigger: "none of its own",
        action: "sets the delay of the next step's rule",
        note: null,
      };
    case "CONDITION":
    case "SPLIT":
    case "FILTER":
    case "IF":
      return {
        trigger: "none of its own",
        action: "becomes the Apply on domain (filter_domain) of the next rule",
        note: "Build one rule per branch with complementary domains.",
      };
    case "TAG":
      return {
        trigger,
        action: `Update Record (object_write): Tags, Adding "${step.tag ?? "the tag"}"`,
        note: null,
      };
    default:
      return { trigger, ...messageAction(step.channel) };
  }
}

function delayedTrigger(wait: JourneyStepDefinition): string {
  // "After last update" would restart the delay whenever anyone edits the contact, so the
  // previous rule stamps a date field of its own and this rule counts from that.
  const base = "Based on date field (on_time) on a date field the previous rule sets";
  const unit = delayUnits[wait.delayUnit ?? ""];
  if (wait.delayAmount === null || !unit) {
    return `${base}, delay as in "${wait.delay ?? wait.name ?? "the wait step"}"`;
  }

  const amount = Math.max(1, Math.round(wait.delayAmount * unit.factor));
  const label = `${unit.label}${amount === 1 ? "" : "s"}`;
  return `${base}, delay ${amount} ${label} (trg_date_range=${amount}, trg_date_range_type=${unit.unit})`;
}

function messageAction(channel: string | null): Omit<AutomationSuggestion, "trigger"> {
  switch (channel) {
    case "EMAIL":
      return {
        action: "Send Email (mail_post) with an email template (mail.template) on Contact",
        note: null,
      };
    case "SMS":
      return {
        action: "Send SMS (sms) with an SMS template (sms.template) on Contact",
        note: "Needs the sms module and IAP credits.",
      };
    case "PUSH":
      return {
        action: "Send Webhook Notification (webhook) to the new push provider",
        note: "Odoo cannot send mobile push; or rebuild this step as an email or SMS.",
      };
    case "IN_APP":
    case "POPUP":
      return {
        action: "Send Webhook Notification (webhook) to the app's backend",
        note: "Odoo has no in-app channel; the app must show the message itself.",
      };
    default:
      return {
        action: "Create Activity (next_activity) for the contact's salesperson",
        note: channel ? `Channel ${channel} has no Odoo equivalent.` : null,
      };
  }
}

export interface WidgetRebuild {
  kind: "Email template" | "SMS template" | "In-app notification";
  /** What to build in Odoo or in the app. */
  instructions: string;
  reason: string;
}

/** SMS length that fits one message in the GSM-7 alphabet. Turkish letters leave room for fewer. */
const SMS_LENGTH = 160;

/** Suggest how to rebuild a widget, which never migrates because Odoo cannot render it. */
export function suggestWidgetRebuild(widget: WidgetDefinition): WidgetRebuild {
  const text = widget.content.text ?? "";
  const hasAssets = widget.assets.length > 0;
  if (widget.platform === "MOBILE" || widget.platform === "APP" || widget.platform === null) {
    return {
      kind: "In-app notification",
      instructions:
        "rebuild in the mobile app or its new messaging SDK; keep the text and click actions below",
      reason: "a mobile in-app widget is drawn by the app, which Odoo cannot reach",
    };
  }

  if (!hasAssets && text.length <= SMS_LENGTH) {
    return {
      kind: "SMS template",
      instructions: "Odoo SMS template (sms.template) on Contact, sent by an automation rule",
      reason: `short text (${text.length} characters) without images or video`,
    };
  }

  return {
    kind: "Email template",
    instructions: "Odoo email template (mail.template) on Contact, sent by an automation rule",
    reason: hasAssets ? "it carries images or video, which an email can hold" : "long text",
  };
}
