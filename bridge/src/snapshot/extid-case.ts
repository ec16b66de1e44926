import { join } from "node:path";
import Database from "better-sqlite3";

/**
 * Fold an extId's case for comparison. Netmera extIds are case-sensitive, so folding only finds
 * look-alikes and never merges users. The Turkish İ lowers to i plus a combining dot, and the
 * dotless ı is the Turkish lower case of I, so both fold to i.
 */
export function foldExtIdCase(extId: string): string {
  return extId
    .normalize("NFC")
    .toLowerCase()
    .replace(/i\u0307/g, "i")
    .replace(/ı/g, "i");
}

/** A user whose extId differs only in case from the extIds of other users. */
export interface CaseVariant {
  extId: string;
  xmlId: string;
  /** The other extIds of the group, sorted. */
  others: string[];
}

const ROWS_PER_INSERT = 128;

/**
 * Disk-backed index of extIds by their folded case, so that finding look-alike extIds among
 * millions of users keeps memory flat: rows go to SQLite in batches, and `variants()` streams
 * one group of look-alikes at a time.
 */
export class ExtIdCaseIndex {
  private readonly db: Database.Database;
  private readonly insertBatch: Database.Statement;
  private readonly insertOne: Database.Statement;
  private buffered: string[] = [];

  /** Create the index in `dir`, a scratch folder that the caller removes. */
  constructor(dir: string) {
    this.db = new Database(join(dir, "extid-case.sqlite"));
    this.db.pragma("journal_mode = OFF");
    this.db.pragma("synchronous = OFF");
    this.db.exec("CREATE TABLE extids (folded TEXT NOT NULL, extid TEXT NOT NULL, xml_id TEXT)");
    const row = "(?, ?, ?)";
    this.insertBatch = this.db.prepare(
      `INSERT INTO extids VALUES ${Array.from({ length: ROWS_PER_INSERT }, () => row).join(", ")}`,
    );
    this.insertOne = this.db.prepare(`INSERT INTO extids VALUES ${row}`);
    this.db.exec("BEGIN");
  }

  add(extId: string, xmlId: string): void {
    this.addFolded(foldExtIdCase(extId), extId, xmlId);
  }

  /** Add an extId whose `foldExtIdCase` form is already known (a worker thread folded it). */
  addFolded(folded: string, extId: string, xmlId: string): void {
    this.buffered.push(folded, extId, xmlId);
    if (this.buffered.length >= ROWS_PER_INSERT * 3) {
      this.insertBatch.run(this.buffered);
      this.buffered = [];
    }
  }

  /** Yield every extId that shares its folded form with another, grouped and sorted. */
  *variants(): Generator<CaseVariant> {
    for (let i = 0; i < this.buffered.length; i += 3) {
      this.insertOne.run(this.buffered.slice(i, i + 3));
    }
    this.buffered = [];
    this.db.exec("COMMIT");
    this.db.exec("CREATE INDEX extids_folded ON extids (folded)");

    const rows = this.db
      .prepare(
        `SELECT e.folded, e.extid, e.xml_id FROM extids e
         JOIN (SELECT folded FROM extids GROUP BY folded HAVING count(*) > 1) d
         ON d.folded = e.folded ORDER BY e.folded, e.extid`,
      )
      .iterate() as Iterable<{ folded: string; extid: string; xml_id: string }>;
    let group: { extid: string; xml_id: string }[] = [];
    let folded: string | undefined;
    for (const row of rows) {
      if (row.folded !== folded && group.length > 0) {
        yield* variantsOf(group);
        group = [];
      }
      folded = row.folded;
      group.push(row);
    }
    yield* variantsOf(group);
  }

  close(): void {
    if (this.db.inTransaction) {
      this.db.exec("ROLLBACK");
    }
    this.db.close();
  }
}

function variantsOf(group: { extid: string; xml_id: string }[]): CaseVariant[] {
  return group.map((member) => ({
    extId: member.extid,
    xmlId: member.xml_id,
    others: group.filter((other) => other !== member).map((other) => other.extid),
  }));
}

/** Detail text of the `extid_case_variant` flag. */
export function caseVariantDetail(variant: CaseVariant): string {
  const listed = variant.others.slice(0, 10).join(", ");
  const more = variant.others.length > 10 ? ` and ${variant.others.length - 10} more` : "";
  // "çağrı" typed on Windows and on macOS can differ in Unicode form (NFC and NFD) alone, and
  // the two then look identical, so that case is named.
  const nfc = variant.extId.normalize("NFC");
  if (variant.others.every((other) => other.normalize("NFC") === nfc)) {
    return (
      `extId differs only in Unicode normalization (NFC or NFD) from ${listed}${more}, so the ` +
      "two look the same; extIds are compared exactly, so each is its own contact: merge " +
      "them in Odoo if they are one person"
    );
  }
  return (
    `extId differs only in case from ${listed}${more}; extIds are case-sensitive, so each is ` +
    "its own contact: merge them in Odoo if they are one person"
  );
}
