import type { Mapping, MappingEntry } from "../mapping/types.js";
import type { MergedUser } from "../snapshot/users.js";

/**
 * Event code under which survey answers kept as profile attributes are staged. Netmera widgets
 * with a "User Update" action store answers as profile attributes, which carry no answer time.
 * A NUL never occurs in a real event code, so this code cannot clash with one.
 */
export const PROFILE_SURVEY_CODE = "\u0000profile-survey";

export const PROFILE_SURVEY_TITLE = "Survey answers (profile attributes)";

/** The answers of one contact, kept as survey-marked attributes or columns of its user rows. */
export interface ProfileAnswerSet {
  extId: string;
  /** Question (the attribute's label) → answer text, in mapping order. */
  answers: Record<string, string>;
  source: { file: string; line: number };
}

/** Profile survey answers and the instant they are dated at (the snapshot's pull time). */
export interface ProfileSurveys {
  /**
   * UTC milliseconds of `manifest.pulledAt`: the answers were given at or before it. Without a
   * pull time the answers cannot be dated, and they are skipped with that reason.
   */
  knownAt: number | undefined;
  answerSets: AsyncIterable<ProfileAnswerSet> | Iterable<ProfileAnswerSet>;
}

/** Mapping entries of attributes or columns marked `options.survey`, by attribute code or header. */
export function surveyAttributeEntries(mapping: Mapping): Map<string, MappingEntry> {
  const entries = new Map<string, MappingEntry>();
  for (const entry of mapping.entries) {
    const { kind, name } = entry.source;
    if ((kind === "attribute" || kind === "column") && entry.options?.survey === true) {
      entries.set(name, entry);
    }
  }
  return entries;
}

/** The survey answers of one merged user, or undefined when it has none or no extId. */
export function profileAnswers(
  user: MergedUser,
  entries: Map<string, MappingEntry>,
): ProfileAnswerSet | undefined {
  if (user.extId === undefined) {
    return undefined;
  }

  const answers: Record<string, string> = {};
  let source: ProfileAnswerSet["source"] | undefined;
  for (const [meaning, sourced] of user.values) {
    const code = meaning.startsWith("attr:") ? meaning.slice(5) : undefined;
    const entry =
      (code !== undefined ? entries.get(code) : undefined) ?? entries.get(sourced.column);
    if (!entry || sourced.value.trim() === "") {
      continue;
    }

    answers[entry.source.label || entry.source.name] = sourced.value;
    source ??= { file: sourced.file, line: sourced.line };
  }
  return source ? { extId: user.extId, answers, source } : undefined;
}
