import type Database from "better-sqlite3";
import { SURVEY_SET_GAP_MS } from "./survey.js";

/** Largest answer set; a longer run of answers is split so that one set stays small. */
const MAX_SURVEY_SET = 500;

interface SurveyRow {
  ext_id: string;
  code: string;
  survey_key: string;
  question_key: string | null;
  ts: number;
  attributes: string;
  file_id: number;
  line: number;
}

interface SurveySet {
  first: SurveyRow;
  last: SurveyRow;
  questions: Set<string>;
  attributes: string[];
}

function continuesSet(set: SurveySet, row: SurveyRow): boolean {
  return (
    row.ext_id === set.last.ext_id &&
    row.code === set.last.code &&
    row.survey_key === set.last.survey_key &&
    row.ts - set.last.ts <= SURVEY_SET_GAP_MS &&
    (row.question_key === null || !set.questions.has(row.question_key)) &&
    set.attributes.length < MAX_SURVEY_SET
  );
}

/**
 * Group survey answers into answer sets: answers of one contact, event code and survey that
 * follow each other within `SURVEY_SET_GAP_MS`, until a question repeats. Rows are read in
 * pages of a sorted copy, because better-sqlite3 cannot write while a statement iterates.
 */
export function buildSurveySets(db: Database.Database): void {
  db.exec(`
    CREATE TABLE survey_sorted AS
      SELECT * FROM survey ORDER BY ext_id, code, survey_key, ts, seq;
  `);
  const page = db.prepare(
    "SELECT rowid, * FROM survey_sorted WHERE rowid > ? ORDER BY rowid LIMIT 5000",
  );
  const insert = db.prepare(
    "INSERT INTO survey_set (ext_id, code, survey_key, first_ts, n, answers, file_id, line) " +
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const store = (set: SurveySet): void => {
    insert.run(
      set.first.ext_id,
      set.first.code,
      set.first.survey_key,
      set.first.ts,
      set.attributes.length,
      `[${set.attributes.join(",")}]`,
      set.first.file_id,
      set.first.line,
    );
  };

  let current: SurveySet | undefined;
  let after = 0;
  for (;;) {
    const rows = page.all(after) as (SurveyRow & { rowid: number })[];
    if (rows.length === 0) break;
    after = rows[rows.length - 1]!.rowid;
    db.transaction(() => {
      for (const row of rows) {
        if (current && continuesSet(current, row)) {
          current.last = row;
          current.attributes.push(row.attributes);
          if (row.question_key !== null) current.questions.add(row.question_key);
          continue;
        }

        if (current) store(current);
        current = {
          first: row,
          last: row,
          questions: new Set(row.question_key === null ? [] : [row.question_key]),
          attributes: [row.attributes],
        };
      }
    })();
  }
  if (current) store(current);
  db.exec("DROP TABLE survey_sorted");
}
