import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { join } from "node:path";
import Database from "better-sqlite3";
import { NumberFormatTable } from "../normalize/numbers.js";
import { caseVariantDetail, ExtIdCaseIndex } from "../snapshot/extid-case.js";
import { Staging, type StagedGroup } from "../snapshot/staging.js";
import { stageSnapshot } from "../snapshot/users.js";
import { availableParallelism } from "node:os";
import { WorkerPool } from "../core/worker-pool.js";
import {
  applyStateChanges,
  buildContactBatch,
  packGroups,
  type ContactBatchResult,
  type ContactWorkerInit,
  type FileTable,
} from "./contact-batch.js";
import type { ContactEnvironment } from "./contact-builder.js";
import type { PhaseProducer, PlanContext } from "./context.js";
import { numericMeanings } from "./rules.js";
import { stageOrder } from "./phase-segments.js";
import { countSkip, emptyCounts, type PhaseCounts } from "./types.js";

/**
 * Users of every export, merged by extId with their memberships and devices → `contacts`
 * rows. Reconciliation counts user rows: read = planned + quarantined + skipped, where rows
 * merged into an earlier row of the same extId and empty rows are skipped, and users known
 * only from a membership or device file count as one read row each.
 */
export const contactsPhase: PhaseProducer = {
  name: "contacts",
  after: ["owners", "companies", "stages"],
  async produce(context, writer) {
    const counts = emptyCounts("contacts");
    const staging = new Staging(context.workDir);
    try {
      await produceContacts(context, writer, staging, counts);
    } finally {
      staging.close();
    }
    return counts;
  },
};

async function produceContacts(
  context: PlanContext,
  writer: Parameters<PhaseProducer["produce"]>[1],
  staging: Staging,
  counts: PhaseCounts,
): Promise<void> {
  const { outputs, progress } = context;
  const numeric = numericMeanings(context.rules);
  // Number formats are decided per file and column (see NumberFormatTable).
  const numberFormats = new NumberFormatTable();
  progress.start("contacts (reading)");
  const staged = await stageSnapshot(
    context.snapshot,
    staging,
    context.attributes,
    {
      // The hook is synchronous, so a flush it starts is not awaited and the file stream may
      // hold more than one buffer while the disk catches up. Problems still go out as read.
      onProblem: (problem) => void outputs.quarantine(problem),
      onValue: (meaning, value, file) => {
        if (numeric.has(meaning)) {
          numberFormats.observe(file, meaning, value);
        }
      },
      onProgress: (rows) => progress.update(rows, "user rows"),
    },
    context.logger,
  );
  progress.finish(staged.userRows);
  context.state.links.memberships = {
    read: staged.memberRows,
    linked: staged.memberRows - staged.badMemberRows,
    quarantined: staged.badMemberRows,
  };
  context.state.links.devices = {
    read: staged.deviceRows,
    linked: staged.deviceRows - staged.badDeviceRows,
    quarantined: staged.badDeviceRows,
  };
  counts.read = staged.userRows;
  counts.quarantined = staged.badUserRows;
  countSkip(counts, "empty row", staged.emptyUserRows);

  const environment = contactEnvironment(context, numberFormats);
  const emails = new Database(join(staging.dir, "emails.sqlite"));
  emails.pragma("journal_mode = OFF");
  emails.pragma("synchronous = OFF");
  emails.exec(
    "CREATE TABLE emails (email TEXT NOT NULL, xml_id TEXT NOT NULL, extid TEXT NOT NULL)",
  );
  const insertEmails = batchInsert(emails, "INSERT INTO emails (email, xml_id, extid) VALUES", 3);
  emails.exec("BEGIN");
  const caseIndex = new ExtIdCaseIndex(staging.dir);

  const extIdsFile = join(context.workDir, "contact-extids.ndjson");
  const extIds = createWriteStream(extIdsFile);
  const extIdLines: string[] = [];
  progress.start("contacts");
  const files = staging.files();
  let groups = 0;

  // Write one batch's results in the order of its groups; batches arrive in order.
  const apply = async (result: ContactBatchResult): Promise<void> => {
    groups += result.rows;
    counts.read += result.withoutUserRow;
    countSkip(counts, "merged into an earlier row with the same extId", result.merged);
    countSkip(
      counts,
      "merged into an earlier row without extId with the same e-mail or MSISDN",
      result.mergedAnonymous,
    );
    countSkip(
      counts,
      "merged into an earlier row without extId, e-mail or MSISDN that has the same values",
      result.mergedSameValues,
    );
    for (const entry of result.quarantine) {
      const pending = outputs.quarantine(entry);
      if (pending) await pending;
    }
    for (const flag of result.flags) {
      const pending = outputs.flag(flag);
      if (pending) await pending;
    }
    for (let i = 0; i < result.emails.length; i += 3) {
      insertEmails.add(
        result.emails[i] as string,
        result.emails[i + 1] as string,
        result.emails[i + 2] as string,
      );
    }
    const pending = writer.writeLines(result.lines, result.rows);
    if (pending) await pending;
    for (let i = 0; i < result.extIds.length; i += 3) {
      const extId = result.extIds[i] as string;
      caseIndex.addFolded(result.extIds[i + 2] as string, extId, result.extIds[i + 1] as string);
      extIdLines.push(JSON.stringify(extId));
    }
    if (extIdLines.length >= 10_000 && !extIds.write(`${extIdLines.splice(0).join("\n")}\n`)) {
      await once(extIds, "drain");
    }
    applyStateChanges(environment, result.state);
    counts.planned += result.rows;
    if (Math.floor(groups / 10_000) !== Math.floor((groups - result.rows) / 10_000)) {
      progress.update(groups, "contacts");
    }
  };

  const workers = contactWorkerCount(context.workers, staged.userRows + staged.deviceRows);
  if (workers === 0) {
    for (const batch of batchesOf(staging.groups())) {
      await apply({
        ...buildContactBatch(batch, files, environment),
        state: { valueTags: [], languages: [], unmapped: [] },
      });
    }
  } else {
    await buildInWorkers(workers, context, environment, numberFormats, files, staging, apply);
  }
  insertEmails.flush();
  emails.exec("COMMIT");
  extIds.end(extIdLines.length > 0 ? `${extIdLines.join("\n")}\n` : "");
  await once(extIds, "close");
  context.state.contactExtIdsFile = extIdsFile;
  progress.finish(groups);

  await flagDuplicateEmails(context, emails);
  emails.close();
  for (const variant of caseIndex.variants()) {
    const detail = caseVariantDetail(variant);
    await outputs.flag({
      xml_id: variant.xmlId,
      extid: variant.extId,
      flag: "extid_case_variant",
      detail,
    });
  }
  caseIndex.close();
  if (environment.unmapped.size > 0) {
    context.logger.warn(
      { columns: [...environment.unmapped] },
      "columns without a mapping entry were not planned; run map again to cover them",
    );
  }
}

/** Build what contact building needs from the plan context and the decided number formats. */
export function contactEnvironment(
  context: PlanContext,
  numberFormats: NumberFormatTable,
): ContactEnvironment {
  return {
    rules: context.rules,
    convert: {
      timeZone: context.snapshot.sourceTimeZone,
      numberFormat: (meaning, file) => numberFormats.formatOf(file, meaning),
      arraySeparator: context.rules.arraySeparator,
    },
    state: context.state,
    stageOrder: stageOrder(context),
    unmapped: new Set(),
  };
}

/** Groups per batch: enough to make a worker message cheap per contact, few enough to stream. */
const GROUPS_PER_BATCH = 1000;
/** Below this many staged user and device rows, starting worker threads costs more than it saves. */
const WORKER_THRESHOLD = 50_000;
/**
 * Heap limits of a contact worker. A batch needs a few megabytes, but tighter limits made the
 * workers spend most of their time collecting garbage.
 */
const WORKER_HEAP_MB = 96;

function* batchesOf(groups: Iterable<StagedGroup>): Generator<StagedGroup[]> {
  let batch: StagedGroup[] = [];
  for (const group of groups) {
    batch.push(group);
    if (batch.length >= GROUPS_PER_BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) {
    yield batch;
  }
}

/**
 * Worker threads for building contacts: the number asked for, or with "auto" one per core
 * beyond the first, up to four, once the snapshot is large enough to repay their start. On two
 * cores "auto" builds on the main thread: one worker saved no time there, and two cost about
 * 140 MB more memory for a third less time (docs/benchmarks.md).
 */
export function contactWorkerCount(
  requested: number | "auto" | undefined,
  stagedRows: number,
  cores = availableParallelism(),
): number {
  if (requested === undefined || requested === "auto") {
    return stagedRows >= WORKER_THRESHOLD && cores > 2 ? Math.min(cores - 1, 4) : 0;
  }
  return requested;
}

/**
 * Build contacts in worker threads while the main thread reads staged groups and writes
 * results. At most two batches per worker are in flight. Results are applied in the order the
 * batches were read, so the plan is the same byte for byte as one built on the main thread.
 */
async function buildInWorkers(
  workers: number,
  context: PlanContext,
  environment: ContactEnvironment,
  numberFormats: NumberFormatTable,
  files: FileTable,
  staging: Staging,
  apply: (result: ContactBatchResult) => Promise<void>,
): Promise<void> {
  const init: ContactWorkerInit = {
    mapping: context.mapping,
    timeZone: environment.convert.timeZone,
    numberFormats: numberFormats.decisions(),
    owners: [...context.state.owners],
    companies: [...context.state.companies],
    stageOrder: [...environment.stageOrder],
    files: [...files],
  };
  context.logger.info({ workers }, "building contacts in worker threads");
  const pool = new WorkerPool<(string | number)[], ContactBatchResult>(
    new URL("./contact-worker.js", import.meta.url),
    workers,
    init,
    { maxOldGenerationSizeMb: WORKER_HEAP_MB, maxYoungGenerationSizeMb: 16 },
  );
  const inFlight: Promise<ContactBatchResult>[] = [];
  try {
    for (const batch of batchesOf(staging.groups())) {
      const result = pool.run(packGroups(batch));
      // Failures are awaited in order below; this only keeps an early one from going unhandled.
      result.catch(() => undefined);
      inFlight.push(result);
      if (inFlight.length >= 2 * workers) {
        await apply(await (inFlight.shift() as Promise<ContactBatchResult>));
      }
    }
    while (inFlight.length > 0) {
      await apply(await (inFlight.shift() as Promise<ContactBatchResult>));
    }
  } finally {
    await pool.close();
  }
}

const ROWS_PER_INSERT = 128;

/**
 * Build an inserter that binds ROWS_PER_INSERT rows per statement, so that a row costs a
 * fraction of a native call. `flush()` inserts the rest row by row, in the order added.
 */
function batchInsert(
  db: Database.Database,
  insertInto: string,
  columns: number,
): { add(...values: string[]): void; flush(): void } {
  const row = `(${Array.from({ length: columns }, () => "?").join(", ")})`;
  const batch = db.prepare(
    `${insertInto} ${Array.from({ length: ROWS_PER_INSERT }, () => row).join(", ")}`,
  );
  const single = db.prepare(`${insertInto} ${row}`);
  let buffered: string[] = [];
  return {
    add(...values) {
      buffered.push(...values);
      if (buffered.length >= ROWS_PER_INSERT * columns) {
        batch.run(buffered);
        buffered = [];
      }
    },
    flush() {
      for (let i = 0; i < buffered.length; i += columns) {
        single.run(buffered.slice(i, i + columns));
      }
      buffered = [];
    },
  };
}

async function flagDuplicateEmails(context: PlanContext, emails: Database.Database): Promise<void> {
  emails.exec("CREATE INDEX emails_email ON emails (email)");
  const duplicates = emails
    .prepare(
      `SELECT e.email, e.xml_id, e.extid, d.total FROM emails e
       JOIN (SELECT email, count(*) AS total FROM emails GROUP BY email HAVING count(*) > 1) d
       ON d.email = e.email ORDER BY e.email, e.rowid`,
    )
    .iterate() as Iterable<{ email: string; xml_id: string; extid: string; total: number }>;
  for (const row of duplicates) {
    await context.outputs.flag({
      xml_id: row.xml_id,
      extid: row.extid,
      flag: "duplicate_email",
      detail: `${row.total} contacts share the e-mail ${row.email}`,
    });
  }
}
