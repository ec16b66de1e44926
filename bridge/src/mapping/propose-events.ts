import type { EventObservation, SnapshotObservations } from "./observations.js";
import type { MappingEntry, MappingSettings } from "./types.js";

const SURVEY_WORDS = /survey|anket|form|feedback|nps/i;
const PURCHASE_WORDS = /purchase|order|checkout|satin|siparis|payment/i;

function isSurvey(code: string, name: string | null | undefined, attributes: string[]): boolean {
  const keys = new Set(attributes.map((a) => a.toLowerCase()));
  return (
    SURVEY_WORDS.test(code) ||
    SURVEY_WORDS.test(name ?? "") ||
    (keys.has("question") && keys.has("answer"))
  );
}

/**
 * Propose one entry per event code, defined or seen. Events become chatter notes on the contact;
 * purchase-like events become done activities; survey answers become notes with the question
 * as title. Codes seen in the files but not defined are proposed with low confidence.
 */
export function proposeEvents(
  observations: SnapshotObservations,
  settings: MappingSettings,
): MappingEntry[] {
  const definitions = new Map(observations.eventDefinitions.map((d) => [d.code, d]));
  const codes = [...new Set([...definitions.keys(), ...observations.events.keys()])].sort();
  return codes.map((code) => {
    const definition = definitions.get(code);
    const seen = observations.events.get(code);
    const source: MappingEntry["source"] = {
      kind: "event",
      name: code,
      ...(definition?.name ? { label: definition.name } : {}),
      ...(seen ? { files: [...seen.files].sort() } : {}),
    };
    if (!seen) {
      return {
        source,
        target: { model: "mail.message", field: null, type: null, action: "skip" },
        confidence: 0.9,
        reason: "defined, but no event of this code is in the snapshot",
        review: false,
      };
    }

    const attributeCodes = definition?.attributeCodes ?? [...seen.attributes.keys()];
    return eventEntry(source, seen, definition !== undefined, attributeCodes, settings);
  });
}

function eventEntry(
  source: MappingEntry["source"],
  seen: EventObservation,
  defined: boolean,
  attributeCodes: string[],
  settings: MappingSettings,
): MappingEntry {
  const threshold = settings.eventConsolidationThreshold;
  const frequency =
    seen.maxPerContactDay > threshold
      ? `; up to ${seen.maxPerContactDay} a day for one contact, so days above ${threshold} become one summary note`
      : "";
  const count = `${seen.count} event${seen.count === 1 ? "" : "s"}`;

  if (isSurvey(source.name, source.label, attributeCodes)) {
    return {
      source,
      target: { model: "mail.message", field: null, type: null, action: "note" },
      confidence: defined ? 0.85 : 0.5,
      reason: `${count} of survey answers; question as title, answer as body${frequency}`,
      review: !defined,
      options: { survey: true },
    };
  }

  if (PURCHASE_WORDS.test(source.name) && defined) {
    return {
      source,
      target: { model: "mail.activity", field: null, type: null, action: "activity" },
      confidence: 0.7,
      reason: `${count}; a purchase reads best as a done activity with its original date${frequency}`,
      review: false,
    };
  }

  if (!defined) {
    return {
      source,
      target: { model: "mail.message", field: null, type: null, action: "note" },
      confidence: 0.4,
      reason: `${count} of a code missing from event-definitions.json; proposed as notes${frequency}`,
      review: true,
    };
  }

  return {
    source,
    target: { model: "mail.message", field: null, type: null, action: "note" },
    confidence: 0.85,
    reason: `${count}; chatter note with the original timestamp${frequency}`,
    review: false,
  };
}
