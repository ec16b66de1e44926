import { createReadStream } from "node:fs";
import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import { CsvError, parse } from "csv-parse";
import { z } from "zod";
import { ExportRowError, SnapshotFileError } from "../core/errors.js";

/**
 * Data-quality figures from a plan directory (`plan --out DIR`). flags.csv and quarantine.csv
 * hold one row per contact or bad value, so for two million users they are streamed and only
 * counts plus a bounded sample are kept in memory.
 */
export interface PlanQuality {
  dir: string;
  flags: FlagSummary | null;
  quarantine: QuarantineSummary | null;
  reconciliation: PlanPhase[] | null;
}

export interface FlagRow {
  xmlId: string;
  extId: string;
  detail: string;
  line: number;
}

export interface FlagSummary {
  total: number;
  /** Rows per flag name, largest first. */
  counts: { flag: string; count: number }[];
  /** The first rows of each flag, at most `SAMPLE_SIZE` per flag. */
  samples: Map<string, FlagRow[]>;
  /** Owners of `unknown_owner` rows with the number of contacts each one owns. */
  unmatchedOwners: { email: string; contacts: number }[];
  /** True when more distinct owners exist than `MAX_DISTINCT` and the list was cut. */
  ownersTruncated: boolean;
}

export interface QuarantineReason {
  reason: string;
  count: number;
  columns: string[];
  firstFile: string;
  firstLine: string;
}

export interface QuarantineSummary {
  total: number;
  reasons: QuarantineReason[];
  /** Rows whose reason came after `MAX_DISTINCT` other reasons, counted but not grouped. */
  otherRows: number;
}

export const planPhaseSchema = z.object({
  name: z.string().min(1),
  read: z.number().int().nonnegative(),
  planned: z.number().int().nonnegative(),
  quarantined: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
});

export type PlanPhase = z.output<typeof planPhaseSchema>;

const reconciliationSchema = z.object({ phases: z.array(planPhaseSchema) });

export const SAMPLE_SIZE = 25;
const MAX_DISTINCT = 200;

/** Read the data-quality files of a plan directory. A file that is absent yields null. */
export async function readPlanQuality(dir: string): Promise<PlanQuality> {
  try {
    await access(dir);
  } catch {
    throw new SnapshotFileError(
      dir,
      "plan directory not found: pass the folder that plan --out wrote",
    );
  }

  return {
    dir,
    flags: await readFlags(join(dir, "flags.csv")),
    quarantine: await readQuarantine(join(dir, "quarantine.csv")),
    reconciliation: await readReconciliation(join(dir, "reconciliation.json")),
  };
}

async function readFlags(file: string): Promise<FlagSummary | null> {
  const counts = new Map<string, number>();
  const samples = new Map<string, FlagRow[]>();
  const owners = new Map<string, number>();
  let ownersTruncated = false;
  let total = 0;

  const found = await forEachCsvRow(file, ["xml_id", "extid", "flag", "detail"], (row, line) => {
    const flag = row.flag ?? "";
    if (flag === "") {
      throw new ExportRowError(
        file,
        line,
        "flag",
        flag,
        "is empty, but every flag row needs a flag",
      );
    }

    total += 1;
    counts.set(flag, (counts.get(flag) ?? 0) + 1);
    const sample = samples.get(flag) ?? [];
    if (sample.length < SAMPLE_SIZE) {
      sample.push({
        xmlId: row.xml_id ?? "",
        extId: row.extid ?? "",
        detail: row.detail ?? "",
        line,
      });
      samples.set(flag, sample);
    }

    if (flag === "unknown_owner") {
      const email = ownerOf(row.detail ?? "");
      if (owners.has(email) || owners.size < MAX_DISTINCT) {
        owners.set(email, (owners.get(email) ?? 0) + 1);
      } else {
        ownersTruncated = true;
      }
    }
  });
  if (!found) {
    return null;
  }

  return {
    total,
    counts: [...counts]
      .map(([flag, count]) => ({ flag, count }))
      .sort((left, right) => right.count - left.count || left.flag.localeCompare(right.flag)),
    samples,
    unmatchedOwners: [...owners]
      .map(([email, contacts]) => ({ email, contacts }))
      .sort(
        (left, right) => right.contacts - left.contacts || left.email.localeCompare(right.email),
      ),
    ownersTruncated,
  };
}

/**
 * Owner named by an `unknown_owner` detail. `plan` writes `owner "x" is not in owners.csv (…)`;
 * a detail in any other form is taken as the owner itself.
 */
function ownerOf(detail: string): string {
  const quoted = /owner "([^"]*)"/.exec(detail)?.[1];
  return (quoted ?? detail).trim().toLowerCase();
}

async function readQuarantine(file: string): Promise<QuarantineSummary | null> {
  const reasons = new Map<string, QuarantineReason>();
  let total = 0;
  let otherRows = 0;

  const columns = ["file", "line", "column", "value", "reason"];
  const found = await forEachCsvRow(file, columns, (row) => {
    total += 1;
    const reason = row.reason || "(no reason given)";
    let group = reasons.get(reason);
    if (!group) {
      if (reasons.size >= MAX_DISTINCT) {
        otherRows += 1;
        return;
      }

      group = {
        reason,
        count: 0,
        columns: [],
        firstFile: row.file ?? "",
        firstLine: row.line ?? "",
      };
      reasons.set(reason, group);
    }

    group.count += 1;
    const column = row.column ?? "";
    if (column && group.columns.length < 5 && !group.columns.includes(column)) {
      group.columns.push(column);
    }
  });
  if (!found) {
    return null;
  }

  return {
    total,
    reasons: [...reasons.values()].sort((left, right) => right.count - left.count),
    otherRows,
  };
}

async function readReconciliation(file: string): Promise<PlanPhase[] | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      return null;
    }
    throw new SnapshotFileError(file, `cannot be read: ${(error as Error).message}`, {
      cause: error,
    });
  }

  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new SnapshotFileError(file, `invalid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }

  const parsed = reconciliationSchema.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join(".") || "(top level)"}: ${issue.message}`,
    );
    throw new SnapshotFileError(file, `invalid reconciliation: ${problems.join("; ")}`);
  }
  return parsed.data.phases;
}

interface CsvEntry {
  record: Record<string, string>;
  info: { lines: number };
}

/**
 * Stream a CSV file with a header row and call `onRow` for each record with its line number.
 * Returns false when the file does not exist. Missing header columns and malformed rows raise
 * errors that name the file and line.
 */
async function forEachCsvRow(
  file: string,
  required: string[],
  onRow: (row: Record<string, string | undefined>, line: number) => void,
): Promise<boolean> {
  try {
    await access(file);
  } catch {
    return false;
  }

  const checkHeader = (header: string[]): string[] => {
    const missing = required.filter((name) => !header.includes(name));
    if (missing.length > 0) {
      throw new SnapshotFileError(file, `header is missing ${missing.join(", ")}`);
    }
    return header;
  };
  const parser = createReadStream(file).pipe(
    parse({ bom: true, columns: checkHeader, info: true }),
  );
  try {
    for await (const entry of parser as AsyncIterable<CsvEntry>) {
      onRow(entry.record, entry.info.lines);
    }
  } catch (error) {
    if (error instanceof CsvError) {
      const line = (error as CsvError & { lines?: number }).lines;
      throw new SnapshotFileError(file, `line ${line ?? "?"}: ${error.message}`, { cause: error });
    }
    throw error;
  }
  return true;
}
