import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { SnapshotFileError } from "../core/errors.js";
import { parseJsonText } from "../snapshot/json-stream.js";
import { displayValue, isSecretAttribute, type SurveyAnswer } from "./note-body.js";

export const SURVEYS_FILE = "surveys.json";

/**
 * Survey events of one contact and one survey that follow each other within this gap belong to
 * one answer set. Netmera widgets fire one event per question a second or so apart, so half an
 * hour separates two submissions without splitting a slow one.
 */
export const SURVEY_SET_GAP_MS = 30 * 60_000;

const SURVEY_ID_KEYS = ["surveyId", "formId", "widgetId", "survey", "form"];
const QUESTION_ID_KEYS = ["questionId", "questionCode"];
const QUESTION_TEXT_KEYS = ["question", "questionText", "questionTitle"];
const ANSWER_KEYS = ["answer", "answers", "value", "response"];

export interface SurveyDefinition {
  id: string;
  name: string;
  /** Question text per question id. */
  questions: Map<string, string>;
  /** Option label per question id and option value, for options stored as {label, value}. */
  optionLabels: Map<string, Map<string, string>>;
}

/** Read `surveys.json` (optional) into definitions by survey id. */
export async function readSurveys(snapshotDir: string): Promise<Map<string, SurveyDefinition>> {
  let text: string;
  try {
    text = await readFile(join(snapshotDir, SURVEYS_FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      return new Map();
    }
    throw new SnapshotFileError(SURVEYS_FILE, "cannot be read", { cause: error });
  }

  // Rejects UTF-16, duplicate keys and bad syntax with the line and column, like other JSON inputs.
  const parsed = parseJsonText(text, SURVEYS_FILE);

  const list = Array.isArray(parsed) ? parsed : (parsed as { surveys?: unknown })?.surveys;
  const surveys = new Map<string, SurveyDefinition>();
  if (!Array.isArray(list)) {
    return surveys;
  }

  for (const entry of list) {
    const survey = surveyDefinition(entry);
    if (survey) {
      surveys.set(survey.id, survey);
    }
  }
  return surveys;
}

function surveyDefinition(entry: unknown): SurveyDefinition | undefined {
  if (!entry || typeof entry !== "object") {
    return undefined;
  }

  const record = entry as Record<string, unknown>;
  if (record.id === undefined) {
    return undefined;
  }

  const questions = new Map<string, string>();
  const optionLabels = new Map<string, Map<string, string>>();
  for (const question of Array.isArray(record.questions) ? record.questions : []) {
    const q = question as Record<string, unknown>;
    if (q?.id === undefined) continue;
    const id = String(q.id);
    questions.set(id, String(q.text ?? q.title ?? q.label ?? id));
    const labels = new Map<string, string>();
    for (const option of Array.isArray(q.options) ? q.options : []) {
      if (option && typeof option === "object" && "value" in option) {
        const { value, label } = option as { value: unknown; label?: unknown };
        labels.set(String(value), String(label ?? value));
      }
    }
    if (labels.size > 0) optionLabels.set(id, labels);
  }
  return { id: String(record.id), name: String(record.name ?? record.id), questions, optionLabels };
}

function firstKey(attributes: Record<string, unknown>, keys: string[]): string | undefined {
  return keys.find((key) => attributes[key] !== undefined && attributes[key] !== null);
}

/** Survey (or form) id an answer event belongs to, or "" when it names none. */
export function surveyKeyOf(attributes: Record<string, unknown>): string {
  const key = firstKey(attributes, SURVEY_ID_KEYS);
  return key ? String(attributes[key]) : "";
}

/** Question id or text of a one-question answer event, used to tell two submissions apart. */
export function questionKeyOf(attributes: Record<string, unknown>): string | undefined {
  const key = firstKey(attributes, QUESTION_ID_KEYS) ?? firstKey(attributes, QUESTION_TEXT_KEYS);
  return key ? String(attributes[key]) : undefined;
}

/**
 * Questions and answers of an answer set. An event either carries one question (`questionId`
 * or `question` with `answer`) or several, one attribute per question; question ids are
 * replaced by their text from `surveys.json` and option values by their labels.
 */
export function answersOf(
  events: Record<string, unknown>[],
  survey: SurveyDefinition | undefined,
): SurveyAnswer[] {
  const answers: SurveyAnswer[] = [];
  const questionText = (id: string): string => survey?.questions.get(id) ?? id;
  const answerTexts = (questionId: string, value: unknown): string[] => {
    const labels = survey?.optionLabels.get(questionId);
    const values = Array.isArray(value) ? value : [value];
    return values
      .map((item) => labels?.get(String(item)) ?? displayValue(item))
      .filter((text) => text !== "");
  };

  for (const attributes of events) {
    const questionIdKey = firstKey(attributes, QUESTION_ID_KEYS);
    const questionTextKey = firstKey(attributes, QUESTION_TEXT_KEYS);
    const answerKey = firstKey(attributes, ANSWER_KEYS);
    if ((questionIdKey || questionTextKey) && answerKey) {
      const id = questionIdKey ? String(attributes[questionIdKey]) : "";
      const text = questionTextKey ? String(attributes[questionTextKey]) : questionText(id);
      answers.push({ question: text, answers: answerTexts(id, attributes[answerKey]) });
      continue;
    }

    const skip = new Set([...SURVEY_ID_KEYS, ...QUESTION_ID_KEYS, ...QUESTION_TEXT_KEYS]);
    for (const [key, value] of Object.entries(attributes)) {
      if (skip.has(key) || isSecretAttribute(key)) continue;
      answers.push({ question: questionText(key), answers: answerTexts(key, value) });
    }
  }
  return answers;
}
