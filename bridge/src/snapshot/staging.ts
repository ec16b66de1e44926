import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";

/** Source kind of a staged row. Rows of one key come back in this order. */
export const SOURCE_USER = 0;
export const SOURCE_MEMBER = 1;
export const SOURCE_DEVICE = 2;

export interface StagedRow {
  source: number;
  fileId: number;
  line: number;
  /** JSON text whose shape depends on `source`. */
  data: string;
}

export interface StagedGroup {
  key: string;
  rows: StagedRow[];
}

const BATCH = 20_000;
/** Rows per INSERT statement: one native call binds this many rows, not one. */
const ROWS_PER_INSERT = 128;
const ROW_COLUMNS = 5;

/**
 * Disk-backed staging for joining user rows, memberships and devices by key. Rows are appended
 * to one SQLite table and read back grouped by key in a single sorted scan, so memory stays flat
 * however many users the snapshot holds. The database lives in a temporary folder that
 * `close()` removes.
 */
export class Staging {
  readonly dir: string;
  private readonly db: Database.Database;
  private readonly insertRow: Database.Statement;
  private readonly insertRows: Database.Statement;
  /** Parameters of rows not yet inserted, ROW_COLUMNS per row, in load order. */
  private buffered: (string | number)[] = [];
  private readonly insertIdentity: Database.Statement;
  private readonly findIdentity: Database.Statement;
  private readonly insertPending: Database.Statement;
  private uncommitted = 0;
  private pendingRows = 0;
  private loading = true;

  constructor(parentDir?: string) {
    this.dir = mkdtempSync(join(parentDir ?? tmpdir(), "netmera-staging-"));
    this.db = new Database(join(this.dir, "staging.sqlite"));
    // The database is scratch space: losing it in a crash only means re-running plan.
    this.db.pragma("journal_mode = OFF");
    this.db.pragma("synchronous = OFF");
    this.db.pragma("locking_mode = EXCLUSIVE");
    this.db.pragma("temp_store = FILE");
    this.db.pragma("cache_size = -16384");
    this.db.exec(`
      CREATE TABLE files (id INTEGER PRIMARY KEY, path TEXT NOT NULL, meta TEXT NOT NULL);
      CREATE TABLE staged (key TEXT NOT NULL, source INTEGER NOT NULL, file_id INTEGER NOT NULL,
                           line INTEGER NOT NULL, data TEXT NOT NULL);
      CREATE TABLE identities (ident TEXT NOT NULL, key TEXT NOT NULL);
      CREATE TABLE pending (email TEXT, msisdn TEXT, source INTEGER NOT NULL,
                            file_id INTEGER NOT NULL, line INTEGER NOT NULL, data TEXT NOT NULL);
    `);
    this.insertRow = this.db.prepare(
      "INSERT INTO staged (key, source, file_id, line, data) VALUES (?, ?, ?, ?, ?)",
    );
    this.insertRows = this.db.prepare(
      `INSERT INTO staged (key, source, file_id, line, data) VALUES ${Array.from(
        { length: ROWS_PER_INSERT },
        () => "(?, ?, ?, ?, ?)",
      ).join(", ")}`,
    );
    this.insertIdentity = this.db.prepare("INSERT INTO identities (ident, key) VALUES (?, ?)");
    this.findIdentity = this.db.prepare("SELECT key FROM identities WHERE ident = ? LIMIT 1");
    this.insertPending = this.db.prepare(
      "INSERT INTO pending (email, msisdn, source, file_id, line, data) VALUES (?, ?, ?, ?, ?, ?)",
    );
    this.db.exec("BEGIN");
  }

  /** Register a source file with whatever the reader needs later (headers, meanings). */
  addFile(path: string, meta: unknown): number {
    const result = this.db
      .prepare("INSERT INTO files (path, meta) VALUES (?, ?)")
      .run(path, JSON.stringify(meta));
    return Number(result.lastInsertRowid);
  }

  /** Replace a file's metadata, for sources whose columns are known only after reading. */
  updateFile(id: number, meta: unknown): void {
    this.db.prepare("UPDATE files SET meta = ? WHERE id = ?").run(JSON.stringify(meta), id);
  }

  files(): Map<number, { path: string; meta: unknown }> {
    const rows = this.db.prepare("SELECT id, path, meta FROM files").all() as {
      id: number;
      path: string;
      meta: string;
    }[];
    return new Map(rows.map((row) => [row.id, { path: row.path, meta: JSON.parse(row.meta) }]));
  }

  add(key: string, source: number, fileId: number, line: number, data: string): void {
    this.buffered.push(key, source, fileId, line, data);
    if (this.buffered.length >= ROWS_PER_INSERT * ROW_COLUMNS) {
      this.insertRows.run(this.buffered);
      this.buffered = [];
    }
    this.tick();
  }

  /** Insert the rows that `add` still holds, one statement per row. */
  private flushRows(): void {
    const rows = this.buffered;
    this.buffered = [];
    for (let i = 0; i < rows.length; i += ROW_COLUMNS) {
      this.insertRow.run(rows.slice(i, i + ROW_COLUMNS));
    }
  }

  /**
   * Hold a row that has no extId until the user rows are staged, so that it can be joined
   * through the email or MSISDN identity of a user.
   */
  addPending(
    email: string | undefined,
    msisdn: string | undefined,
    source: number,
    fileId: number,
    line: number,
    data: string,
  ): void {
    this.insertPending.run(email ?? null, msisdn ?? null, source, fileId, line, data);
    this.pendingRows += 1;
    this.tick();
  }

  /** Number of rows waiting for an identity join. */
  get pendingCount(): number {
    return this.pendingRows;
  }

  /** Pending rows in load order, a page at a time (the connection allows no open cursor while writing). */
  *pending(): Generator<{ email: string | null; msisdn: string | null } & StagedRow> {
    this.commit();
    this.db.exec("BEGIN");
    const page = this.db.prepare(
      `SELECT rowid, email, msisdn, source, file_id AS fileId, line, data FROM pending
       WHERE rowid > ? ORDER BY rowid LIMIT 10000`,
    );
    let after = 0;
    while (true) {
      const rows = page.all(after) as ({
        rowid: number;
        email: string | null;
        msisdn: string | null;
      } & StagedRow)[];
      if (rows.length === 0) {
        return;
      }
      after = rows[rows.length - 1]?.rowid ?? after;
      yield* rows;
    }
  }

  /** Remember that an email or phone identity belongs to a key, for files without extIds. */
  addIdentity(ident: string, key: string): void {
    this.insertIdentity.run(ident, key);
    this.tick();
  }

  /** Index the identities; call after all user rows and before `lookupIdentity`. */
  indexIdentities(): void {
    this.commit();
    this.db.exec("CREATE INDEX identities_ident ON identities (ident)");
    this.db.exec("BEGIN");
  }

  lookupIdentity(ident: string): string | undefined {
    const row = this.findIdentity.get(ident) as { key: string } | undefined;
    return row?.key;
  }

  /**
   * Finish loading. The grouped scan sorts with SQLite's external sorter rather than an index:
   * a single ordered pass over every row costs about 40 % less CPU that way, because an index
   * scan looks each row up in the table again.
   */
  finishLoading(): void {
    if (!this.loading) {
      return;
    }
    this.commit();
    this.loading = false;
  }

  /** Every key with its rows, in key order; rows in source order, then in load order. */
  *groups(): Generator<StagedGroup> {
    this.finishLoading();
    const scan = this.db
      .prepare("SELECT key, source, file_id, line, data FROM staged ORDER BY key, source, rowid")
      .raw(true);
    let current: StagedGroup | undefined;
    for (const raw of scan.iterate() as Iterable<[string, number, number, number, string]>) {
      const [key, source, fileId, line, data] = raw;
      if (!current || current.key !== key) {
        if (current) {
          yield current;
        }
        current = { key, rows: [] };
      }
      current.rows.push({ source, fileId, line, data });
    }
    if (current) {
      yield current;
    }
  }

  close(): void {
    if (this.db.open) {
      this.db.close();
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private tick(): void {
    this.uncommitted += 1;
    if (this.uncommitted >= BATCH) {
      this.commit();
      this.db.exec("BEGIN");
    }
  }

  private commit(): void {
    this.flushRows();
    if (this.db.inTransaction) {
      this.db.exec("COMMIT");
    }
    this.uncommitted = 0;
  }
}
