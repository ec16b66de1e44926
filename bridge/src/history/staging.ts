import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { buildSurveySets } from "./survey-sets.js";

/** Import action of an event code, from its mapping entry. */
export type EventAction = "note" | "activity" | "survey";

const ACTION_CODES: Record<EventAction, number> = { note: 0, activity: 1, survey: 2 };
const ACTIONS: EventAction[] = ["note", "activity", "survey"];

export interface StagedEvent {
  extId: string;
  code: string;
  utcMs: number;
  /** Local calendar day in the source time zone, `YYYY-MM-DD`. */
  day: string;
  /** Attributes as JSON object text. */
  attributes: string;
  fileId: number;
  line: number;
}

export interface StagedSurveyAnswer extends StagedEvent {
  surveyKey: string;
  /** Question id or text of a one-question event; a repeat starts a new answer set. */
  questionKey: string | undefined;
}

export interface StagedDelivery {
  campaign: string;
  extId: string;
  status: string;
  utcMs: number;
  platform: string;
  error: string;
  fileId: number;
  line: number;
}

/** One history item in import order; the producer turns it into a plan row. */
export type StagedItem =
  | {
      type: "event";
      action: EventAction;
      extId: string;
      code: string;
      utcMs: number;
      attributes: string;
      fileId: number;
      line: number;
    }
  | {
      type: "consolidated";
      action: EventAction;
      extId: string;
      code: string;
      utcMs: number;
      lastMs: number;
      day: string;
      count: number;
      fileId: number;
      line: number;
    }
  | {
      type: "survey";
      extId: string;
      code: string;
      surveyKey: string;
      utcMs: number;
      /** JSON array of the attribute objects of the set's events, in time order. */
      answers: string;
      count: number;
      fileId: number;
      line: number;
    }
  | {
      type: "delivery";
      extId: string;
      campaign: string;
      utcMs: number;
      /** JSON array of [status, utcMs, platform, error], in time order. */
      steps: string;
      count: number;
      fileId: number;
      line: number;
    };

interface OrderedRow {
  type: number;
  ts: number;
  ext_id: string;
  code: string;
  payload: string;
  action: number;
  file_id: number;
  line: number;
  n: number;
  last_ts: number;
  day: string;
}

const INSERT_BATCH = 10_000;

/**
 * Disk-backed staging of events, survey answers and delivery rows. Event files are not sorted,
 * so grouping per (contact, day, code) and the global time order both need the whole data set.
 * SQLite does both with its external sorter, which spills to temporary files, so memory stays
 * bounded by the page cache whatever the number of events.
 */
export class HistoryStaging {
  private readonly dir: string;
  private readonly db: Database.Database;
  private readonly pendingEvents: StagedEvent[] = [];
  private readonly pendingDeliveries: StagedDelivery[] = [];
  private readonly pendingSurveys: StagedSurveyAnswer[] = [];
  private readonly insertEvent: Database.Statement;
  private readonly insertDelivery: Database.Statement;
  private readonly insertSurvey: Database.Statement;
  private finished = false;

  /**
   * Open the staging database in a new folder under `parentDir`. The page cache is small because
   * history runs after the contacts phase, whose heap V8 keeps: with 64 MiB a whole plan of
   * 100,000 users peaked at 321 MiB, past the 300 MB budget, and with 24 MiB at 233 MiB.
   */
  constructor(parentDir: string, cacheMb = 24) {
    this.dir = mkdtempSync(join(parentDir, "history-staging-"));
    this.db = new Database(join(this.dir, "staging.sqlite"));
    this.db.pragma("journal_mode = OFF");
    this.db.pragma("synchronous = OFF");
    this.db.pragma("temp_store = FILE");
    this.db.pragma(`cache_size = -${cacheMb * 1024}`);
    this.db.exec(`
      CREATE TABLE event_code (code TEXT PRIMARY KEY, action INTEGER NOT NULL,
                               threshold INTEGER NOT NULL);
      CREATE TABLE event (seq INTEGER PRIMARY KEY, ext_id TEXT NOT NULL, code TEXT NOT NULL,
                          ts INTEGER NOT NULL, day TEXT NOT NULL, attributes TEXT NOT NULL,
                          file_id INTEGER NOT NULL, line INTEGER NOT NULL);
      CREATE TABLE delivery (seq INTEGER PRIMARY KEY, campaign TEXT NOT NULL,
                             ext_id TEXT NOT NULL, status TEXT NOT NULL, ts INTEGER NOT NULL,
                             platform TEXT NOT NULL, error TEXT NOT NULL,
                             file_id INTEGER NOT NULL, line INTEGER NOT NULL);
      CREATE TABLE survey (seq INTEGER PRIMARY KEY, ext_id TEXT NOT NULL, code TEXT NOT NULL,
                           survey_key TEXT NOT NULL, question_key TEXT, ts INTEGER NOT NULL,
                           attributes TEXT NOT NULL, file_id INTEGER NOT NULL,
                           line INTEGER NOT NULL);
      CREATE TABLE survey_set (seq INTEGER PRIMARY KEY, ext_id TEXT NOT NULL,
                               code TEXT NOT NULL, survey_key TEXT NOT NULL,
                               first_ts INTEGER NOT NULL, n INTEGER NOT NULL,
                               answers TEXT NOT NULL, file_id INTEGER NOT NULL,
                               line INTEGER NOT NULL);
      CREATE TABLE contact (ext_id TEXT PRIMARY KEY) WITHOUT ROWID;
    `);
    this.insertEvent = this.db.prepare(
      "INSERT INTO event (ext_id, code, ts, day, attributes, file_id, line) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    this.insertDelivery = this.db.prepare(
      "INSERT INTO delivery (campaign, ext_id, status, ts, platform, error, file_id, line) " +
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    );
    this.insertSurvey = this.db.prepare(
      "INSERT INTO survey (ext_id, code, survey_key, question_key, ts, attributes, file_id, line) " +
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    );
  }

  /**
   * Declare how an event code is imported. Groups of more than `threshold` events of the code
   * for one contact on one local day become one consolidated item; survey answers never do.
   */
  defineCode(code: string, action: EventAction, threshold: number): void {
    this.db
      .prepare("INSERT OR REPLACE INTO event_code (code, action, threshold) VALUES (?, ?, ?)")
      .run(code, ACTION_CODES[action], action === "survey" ? Number.MAX_SAFE_INTEGER : threshold);
  }

  addEvent(event: StagedEvent): void {
    this.pendingEvents.push(event);
    if (this.pendingEvents.length >= INSERT_BATCH) {
      this.flush();
    }
  }

  addSurveyAnswer(answer: StagedSurveyAnswer): void {
    this.pendingSurveys.push(answer);
    if (this.pendingSurveys.length >= INSERT_BATCH) {
      this.flush();
    }
  }

  addDelivery(delivery: StagedDelivery): void {
    this.pendingDeliveries.push(delivery);
    if (this.pendingDeliveries.length >= INSERT_BATCH) {
      this.flush();
    }
  }

  /** Record the extIds that have a contact in the plan; items of other extIds are held back. */
  addContacts(extIds: Iterable<string>): void {
    const insert = this.db.prepare("INSERT OR IGNORE INTO contact (ext_id) VALUES (?)");
    this.db.transaction(() => {
      for (const extId of extIds) {
        insert.run(extId);
      }
    })();
  }

  /** Build the consolidation groups; call once after the last `add…`. */
  finish(): void {
    this.flush();
    this.db.exec(`
      CREATE TABLE grp AS
        SELECT e.ext_id, e.day, e.code, count(*) AS n, min(e.ts) AS first_ts,
               max(e.ts) AS last_ts, min(e.seq) AS first_seq, c.action
        FROM event e JOIN event_code c ON c.code = e.code
        GROUP BY e.ext_id, e.day, e.code
        HAVING count(*) > max(c.threshold);
      CREATE UNIQUE INDEX grp_key ON grp (ext_id, day, code);
      CREATE TABLE dgrp AS
        SELECT campaign, ext_id, min(ts) AS first_ts, max(ts) AS last_ts, count(*) AS n,
               min(seq) AS first_seq,
               json_group_array(json_array(status, ts, platform, error) ORDER BY ts, seq) AS steps
        FROM delivery
        GROUP BY campaign, ext_id;
    `);
    buildSurveySets(this.db);
    this.finished = true;
  }

  /** Number of extIds with staged items but no contact, and their item count. */
  countUnknownContacts(): { events: number; deliveries: number } {
    const events = this.db
      .prepare("SELECT count(*) AS n FROM event WHERE ext_id NOT IN (SELECT ext_id FROM contact)")
      .get() as { n: number };
    const deliveries = this.db
      .prepare(
        "SELECT count(*) AS n FROM delivery WHERE ext_id NOT IN (SELECT ext_id FROM contact)",
      )
      .get() as { n: number };
    return { events: events.n, deliveries: deliveries.n };
  }

  /** Staged events and delivery rows whose extId has no contact, in file order. */
  *unknownContactRows(): Generator<{ extId: string; fileId: number; line: number }> {
    const rows = this.db
      .prepare(
        `SELECT ext_id, file_id, line FROM event WHERE ext_id NOT IN (SELECT ext_id FROM contact)
         UNION ALL
         SELECT ext_id, file_id, line FROM survey WHERE ext_id NOT IN (SELECT ext_id FROM contact)
         UNION ALL
         SELECT ext_id, file_id, line FROM delivery
           WHERE ext_id NOT IN (SELECT ext_id FROM contact)
         ORDER BY file_id, line`,
      )
      .iterate() as IterableIterator<{ ext_id: string; file_id: number; line: number }>;
    for (const row of rows) {
      yield { extId: row.ext_id, fileId: row.file_id, line: row.line };
    }
  }

  /**
   * Every item of known contacts in import order: ascending UTC time, then contact, code and
   * content, then arrival order, so the same snapshot always yields the same sequence.
   */
  *orderedItems(): Generator<StagedItem> {
    if (!this.finished) {
      throw new Error("HistoryStaging.finish() must run before orderedItems()");
    }

    const rows = this.db
      .prepare(
        `SELECT 0 AS type, e.ts, e.ext_id, e.code, e.attributes AS payload, c.action,
                e.file_id, e.line, 1 AS n, e.ts AS last_ts, e.day, e.seq
         FROM event e JOIN event_code c ON c.code = e.code
         WHERE e.ext_id IN (SELECT ext_id FROM contact)
           AND NOT EXISTS (SELECT 1 FROM grp g
                           WHERE g.ext_id = e.ext_id AND g.day = e.day AND g.code = e.code)
         UNION ALL
         SELECT 1, g.first_ts, g.ext_id, g.code, '', g.action, e.file_id, e.line, g.n,
                g.last_ts, g.day, g.first_seq
         FROM grp g JOIN event e ON e.seq = g.first_seq
         WHERE g.ext_id IN (SELECT ext_id FROM contact)
         UNION ALL
         SELECT 2, g.first_ts, g.ext_id, g.campaign, g.steps, 0, d.file_id, d.line, g.n,
                g.last_ts, '', g.first_seq
         FROM dgrp g JOIN delivery d ON d.seq = g.first_seq
         WHERE g.ext_id IN (SELECT ext_id FROM contact)
         UNION ALL
         SELECT 3, s.first_ts, s.ext_id, s.code, s.answers, 2, s.file_id, s.line, s.n,
                s.first_ts, s.survey_key, s.seq
         FROM survey_set s
         WHERE s.ext_id IN (SELECT ext_id FROM contact)
         ORDER BY 2, 3, 4, 1, 5, 12`,
      )
      .iterate() as IterableIterator<OrderedRow>;
    for (const row of rows) {
      yield toItem(row);
    }
  }

  close(): void {
    this.db.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private flush(): void {
    const events = this.pendingEvents.splice(0);
    const deliveries = this.pendingDeliveries.splice(0);
    const surveys = this.pendingSurveys.splice(0);
    this.db.transaction(() => {
      for (const a of surveys) {
        this.insertSurvey.run(
          a.extId,
          a.code,
          a.surveyKey,
          a.questionKey ?? null,
          a.utcMs,
          a.attributes,
          a.fileId,
          a.line,
        );
      }
      for (const e of events) {
        this.insertEvent.run(e.extId, e.code, e.utcMs, e.day, e.attributes, e.fileId, e.line);
      }
      for (const d of deliveries) {
        this.insertDelivery.run(
          d.campaign,
          d.extId,
          d.status,
          d.utcMs,
          d.platform,
          d.error,
          d.fileId,
          d.line,
        );
      }
    })();
  }
}

function toItem(row: OrderedRow): StagedItem {
  const action = ACTIONS[row.action] ?? "note";
  if (row.type === 0) {
    return {
      type: "event",
      action,
      extId: row.ext_id,
      code: row.code,
      utcMs: row.ts,
      attributes: row.payload,
      fileId: row.file_id,
      line: row.line,
    };
  }

  if (row.type === 3) {
    return {
      type: "survey",
      extId: row.ext_id,
      code: row.code,
      surveyKey: row.day,
      utcMs: row.ts,
      answers: row.payload,
      count: row.n,
      fileId: row.file_id,
      line: row.line,
    };
  }

  if (row.type === 1) {
    return {
      type: "consolidated",
      action,
      extId: row.ext_id,
      code: row.code,
      utcMs: row.ts,
      lastMs: row.last_ts,
      day: row.day,
      count: row.n,
      fileId: row.file_id,
      line: row.line,
    };
  }

  return {
    type: "delivery",
    extId: row.ext_id,
    campaign: row.code,
    utcMs: row.ts,
    steps: row.payload,
    count: row.n,
    fileId: row.file_id,
    line: row.line,
  };
}
