import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { NetmeraRequest } from "./http-client.js";

/** Folder of the progress journal inside the snapshot; removed before the manifest is written. */
export const STATE_DIR = ".pull-state";

/** Bit flags saying where a user's extId was seen. */
export const UserSource = { scan: 1, exports: 2, segments: 4 } as const;

export type UserResultColumn = "profile" | "devices" | "inbox";

export interface ListState {
  next: NetmeraRequest | null;
  pages: number;
  done: boolean;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lists (
  name TEXT PRIMARY KEY, next_request TEXT, pages INTEGER NOT NULL, done INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS pages (
  list TEXT NOT NULL, seq INTEGER NOT NULL, items TEXT NOT NULL, PRIMARY KEY (list, seq));
CREATE TABLE IF NOT EXISTS users (
  ext_id TEXT PRIMARY KEY, sources INTEGER NOT NULL,
  profile TEXT, devices TEXT, inbox TEXT);
CREATE TABLE IF NOT EXISTS messages (
  key TEXT PRIMARY KEY, seq INTEGER NOT NULL, window_start INTEGER NOT NULL, body TEXT NOT NULL);
`;

/**
 * Disk-backed progress of one pull. Every page and every per-user response is committed in one
 * SQLite transaction together with its side effects. A pull killed at any instant therefore
 * resumes without requesting anything already committed. The user set lives on disk too, so
 * memory does not grow with the number of users.
 */
export class PullJournal {
  private readonly updateStatements = new Map<UserResultColumn, Database.Statement>();

  private constructor(private readonly db: Database.Database) {}

  static open(snapshotDir: string): PullJournal {
    const dir = join(snapshotDir, STATE_DIR);
    mkdirSync(dir, { recursive: true });
    const db = new Database(join(dir, "journal.sqlite"));
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.exec(SCHEMA);
    return new PullJournal(db);
  }

  close(): void {
    this.db.close();
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  transaction(work: () => void): void {
    this.db.transaction(work)();
  }

  getMeta(key: string): string | undefined {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as
      { value: string } | undefined;
    return row?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)").run(key, value);
  }

  isDone(step: string): boolean {
    return this.getMeta(`done:${step}`) !== undefined;
  }

  markDone(step: string): void {
    this.setMeta(`done:${step}`, "1");
  }

  listState(name: string): ListState | undefined {
    const row = this.db
      .prepare("SELECT next_request, pages, done FROM lists WHERE name = ?")
      .get(name) as { next_request: string | null; pages: number; done: number } | undefined;
    if (!row) {
      return undefined;
    }

    return {
      next: row.next_request === null ? null : (JSON.parse(row.next_request) as NetmeraRequest),
      pages: row.pages,
      done: row.done === 1,
    };
  }

  /** Store one page and where the list goes on, in the same transaction as `sideEffect`. */
  commitPage(
    name: string,
    seq: number,
    items: unknown[],
    next: NetmeraRequest | null,
    sideEffect?: () => void,
  ): void {
    this.transaction(() => {
      this.db
        .prepare("INSERT OR REPLACE INTO pages (list, seq, items) VALUES (?, ?, ?)")
        .run(name, seq, JSON.stringify(items));
      this.db
        .prepare(
          "INSERT OR REPLACE INTO lists (name, next_request, pages, done) VALUES (?, ?, ?, ?)",
        )
        .run(name, next === null ? null : JSON.stringify(next), seq, next === null ? 1 : 0);
      sideEffect?.();
    });
  }

  /** Items of a list, page by page in the order they were fetched. */
  *items(name: string): Generator<unknown> {
    const rows = this.db
      .prepare("SELECT items FROM pages WHERE list = ? ORDER BY seq")
      .iterate(name) as IterableIterator<{ items: string }>;
    for (const row of rows) {
      yield* JSON.parse(row.items) as unknown[];
    }
  }

  /** Items of a list whose `key` field repeats one listed earlier, counted on disk. */
  repeatedItems(name: string, key: string): number {
    const row = this.db
      .prepare(
        `SELECT COUNT(json_extract(item.value, ?)) - COUNT(DISTINCT json_extract(item.value, ?)) AS n
         FROM pages, json_each(pages.items) AS item WHERE pages.list = ?`,
      )
      .get(`$.${key}`, `$.${key}`, name) as { n: number };
    return row.n;
  }

  /** Forget the pages of a list, so that it is fetched again from its first page. */
  resetList(name: string): void {
    this.transaction(() => {
      this.db.prepare("DELETE FROM pages WHERE list = ?").run(name);
      this.db.prepare("DELETE FROM lists WHERE name = ?").run(name);
    });
  }

  itemCount(name: string): number {
    let count = 0;
    const rows = this.db
      .prepare("SELECT json_array_length(items) AS n FROM pages WHERE list = ?")
      .iterate(name) as IterableIterator<{ n: number }>;
    for (const row of rows) {
      count += row.n;
    }

    return count;
  }

  addUsers(extIds: Iterable<string>, source: number): void {
    const upsert = this.db.prepare(
      "INSERT INTO users (ext_id, sources) VALUES (?, ?) " +
        "ON CONFLICT (ext_id) DO UPDATE SET sources = sources | excluded.sources",
    );
    for (const extId of extIds) {
      upsert.run(extId, source);
    }
  }

  /** Up to `limit` users, in extId order after `after`, that have no `column` result yet. */
  pendingUsers(column: UserResultColumn, after: string, limit: number): string[] {
    const rows = this.db
      .prepare(
        `SELECT ext_id FROM users WHERE ${column} IS NULL AND ext_id > ? ORDER BY ext_id LIMIT ?`,
      )
      .all(after, limit) as Array<{ ext_id: string }>;
    return rows.map((row) => row.ext_id);
  }

  countPending(column: UserResultColumn): number {
    const row = this.db
      .prepare(`SELECT count(*) AS n FROM users WHERE ${column} IS NULL`)
      .get() as { n: number };
    return row.n;
  }

  setUserResult(extId: string, column: UserResultColumn, value: unknown): void {
    // Called once per user and endpoint, millions of times in a large pull.
    let statement = this.updateStatements.get(column);
    if (!statement) {
      statement = this.db.prepare(`UPDATE users SET ${column} = ? WHERE ext_id = ?`);
      this.updateStatements.set(column, statement);
    }

    statement.run(JSON.stringify(value), extId);
  }

  *userResults(column: UserResultColumn): Generator<unknown> {
    const rows = this.db
      .prepare(`SELECT ${column} AS value FROM users WHERE ${column} IS NOT NULL ORDER BY ext_id`)
      .iterate() as IterableIterator<{ value: string }>;
    for (const row of rows) {
      yield JSON.parse(row.value);
    }
  }

  *usersWithout(source: number): Generator<string> {
    const rows = this.db
      .prepare("SELECT ext_id FROM users WHERE (sources & ?) = 0 ORDER BY ext_id")
      .iterate(source) as IterableIterator<{ ext_id: string }>;
    for (const row of rows) {
      yield row.ext_id;
    }
  }

  countUsers(source?: number): number {
    const row = (
      source === undefined
        ? this.db.prepare("SELECT count(*) AS n FROM users").get()
        : this.db.prepare("SELECT count(*) AS n FROM users WHERE (sources & ?) <> 0").get(source)
    ) as { n: number };
    return row.n;
  }

  /** Keep the first statistics row of a notification key; windows may overlap at their edges. */
  addMessage(key: string, windowStart: number, body: unknown): void {
    this.db
      .prepare(
        "INSERT OR IGNORE INTO messages (key, seq, window_start, body) " +
          "VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM messages), ?, ?)",
      )
      .run(key, windowStart, JSON.stringify(body));
  }

  *messages(): Generator<{ key: string; windowStart: number; body: unknown }> {
    const rows = this.db
      .prepare("SELECT key, window_start, body FROM messages ORDER BY seq")
      .iterate() as IterableIterator<{ key: string; window_start: number; body: string }>;
    for (const row of rows) {
      yield { key: row.key, windowStart: row.window_start, body: JSON.parse(row.body) };
    }
  }
}
