import { createHash } from "node:crypto";
import { createReadStream, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { z } from "zod";
import { BridgeError, ConfigError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { rowHash } from "../plan/row-hash.js";
import { openSnapshot } from "../snapshot/snapshot.js";
import { PHASES, type PhaseDefinition } from "./phases.js";

/** Reading of the plan directory that `plan --out DIR` writes (see docs/architecture.md). */

export const planManifestSchema = z.object({
  snapshotHash: z.string().min(1),
  mappingHash: z.string().min(1),
  sourceTimeZone: z.string().optional(),
  createdAt: z.string().optional(),
  phases: z.array(
    z.object({
      name: z.string().min(1),
      file: z.string().min(1),
      rows: z.number().int().min(0),
      /** sha256 (hex) of the file as plan wrote it; migrate refuses an entry without one. */
      sha256: z
        .string()
        .regex(/^[0-9a-f]{64}$/)
        .optional(),
    }),
  ),
});

export type PlanManifest = z.infer<typeof planManifestSchema>;

const reconciliationSchema = z.object({
  phases: z.array(
    z.object({
      name: z.string(),
      read: z.number().int(),
      planned: z.number().int(),
      quarantined: z.number().int(),
      skipped: z.number().int(),
    }),
  ),
});

export type PlanReconciliation = z.infer<typeof reconciliationSchema>["phases"][number];

export interface PlanRow {
  xml_id?: string;
  values: Record<string, unknown>;
  hash?: string;
  source?: { file?: string; line?: number };
}

export interface PlanLine {
  row: PlanRow;
  /** 1-based line number in the phase file. */
  line: number;
  /** UTF-8 bytes of the line, the measure of batch size. */
  bytes: number;
}

/** A phase to run: its definition, the plan file and the planned row count. */
export interface PlannedPhase {
  definition: PhaseDefinition;
  path: string;
  file: string;
  rows: number;
  /** sha256 the manifest records for the file, when the plan recorded one. */
  sha256?: string;
}

export function readPlanManifest(planDir: string): PlanManifest {
  const path = join(planDir, "plan", "manifest.json");
  if (!existsSync(path)) {
    throw new ConfigError(
      `${path} not found: --plan must be a folder written by netmera-odoo plan --out DIR`,
    );
  }

  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new ConfigError(`${path} is not valid JSON: ${(error as Error).message}`);
  }

  const parsed = planManifestSchema.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`${path} is not a plan manifest: ${problems.join("; ")}`);
  }

  return parsed.data;
}

/** Per-phase counts from `reconciliation.json`; empty when the plan has none. */
export function readPlanReconciliation(planDir: string): Map<string, PlanReconciliation> {
  const path = join(planDir, "reconciliation.json");
  if (!existsSync(path)) return new Map();

  const parsed = reconciliationSchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
  if (!parsed.success) {
    throw new ConfigError(`${path} is not a plan reconciliation: ${parsed.error.message}`);
  }

  return new Map(parsed.data.phases.map((phase) => [phase.name, phase]));
}

/**
 * Return the manifest's phases in dependency order. A phase that this version does not know is
 * an error, so that no rows are left out silently. A known phase missing from the manifest has
 * nothing to import.
 */
export function plannedPhases(
  planDir: string,
  manifest: PlanManifest,
  phases: PhaseDefinition[] = PHASES,
): PlannedPhase[] {
  const unknown = manifest.phases.filter((entry) => !phases.some((p) => p.name === entry.name));
  if (unknown.length > 0) {
    throw new ConfigError(
      `the plan has phases this version of netmera-odoo cannot import: ` +
        `${unknown.map((entry) => entry.name).join(", ")} (known: ${phases.map((p) => p.name).join(", ")})`,
    );
  }

  const planned: PlannedPhase[] = [];
  for (const definition of phases) {
    const entry = manifest.phases.find((candidate) => candidate.name === definition.name);
    if (!entry) continue;

    const path = join(planDir, "plan", entry.file);
    if (!existsSync(path)) {
      throw new ConfigError(`${path} not found, but plan/manifest.json lists it; re-run plan`);
    }

    planned.push({
      definition,
      path,
      file: `plan/${entry.file}`,
      rows: entry.rows,
      sha256: entry.sha256,
    });
  }

  return planned;
}

/** A plan file whose content no longer matches the manifest. */
export interface PlanFileChange {
  file: string;
  expected: { sha256: string; rows: number };
  found: { sha256: string; rows: number };
}

/**
 * Hash every phase file and count its lines, and compare both with the manifest. Returns the
 * files that changed since plan wrote them, and the files whose manifest entry has no hash,
 * which cannot be checked. Reads each file once, in chunks.
 */
export async function checkPlanFiles(
  phases: PlannedPhase[],
): Promise<{ changed: PlanFileChange[]; unchecked: string[] }> {
  const changed: PlanFileChange[] = [];
  const unchecked: string[] = [];
  for (const phase of phases) {
    if (!phase.sha256) {
      unchecked.push(phase.file);
      continue;
    }

    const found = await hashFile(phase.path);
    if (found.sha256 !== phase.sha256 || found.rows !== phase.rows) {
      changed.push({
        file: phase.file,
        expected: { sha256: phase.sha256, rows: phase.rows },
        found,
      });
    }
  }

  return { changed, unchecked };
}

/**
 * Refuse a plan whose files changed after plan wrote them, since an edited row would otherwise
 * be imported as it is. A file without a recorded hash is refused too: deleting the hash would
 * otherwise let an edited file through, and every plan of this version records them.
 */
export async function assertPlanFilesUnchanged(
  planDir: string,
  phases: PlannedPhase[],
  how: { rerun: string; nothingDone: string; command: string },
): Promise<void> {
  const { changed, unchecked } = await checkPlanFiles(phases);
  if (unchecked.length > 0) {
    throw new ConfigError(
      `${join(planDir, "plan", "manifest.json")} records no sha256 for ` +
        `${unchecked.join(", ")}, so ${how.command} cannot tell whether they changed after plan ` +
        `wrote them, and ${how.nothingDone}. Re-run plan to rebuild the plan with its hashes ` +
        `(${how.rerun}), then run ${how.command} again.`,
    );
  }

  if (changed.length === 0) return;

  const lines = changed.map(
    ({ file, expected, found }) =>
      `  ${file}: sha256 ${found.sha256.slice(0, 12)}…, ${found.rows} row(s); the manifest ` +
      `says ${expected.sha256.slice(0, 12)}…, ${expected.rows} row(s)`,
  );
  throw new ConfigError(
    `the plan in ${planDir} changed after plan wrote it, so ${how.nothingDone}:\n` +
      `${lines.join("\n")}\nPlan files must not be edited; change the snapshot or ` +
      `the mapping instead. Re-run plan to rebuild it (${how.rerun}), then run ${how.command} again.`,
  );
}

/** sha256 (hex) of a file and its number of lines (newline characters). */
async function hashFile(path: string): Promise<{ sha256: string; rows: number }> {
  const hash = createHash("sha256");
  let rows = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const bytes = chunk as Buffer;
    hash.update(bytes);
    for (let at = bytes.indexOf(10); at !== -1; at = bytes.indexOf(10, at + 1)) rows += 1;
  }

  return { sha256: hash.digest("hex"), rows };
}

/** Stream a phase file one row at a time; memory does not grow with the file. */
export async function* readPlanLines(path: string, file = path): AsyncGenerator<PlanLine> {
  const lines = createInterface({
    input: createReadStream(path, { encoding: "utf8" }),
    crlfDelay: Infinity,
  });
  let line = 0;
  for await (const text of lines) {
    line += 1;
    if (text.trim() === "") continue;

    let row: PlanRow;
    try {
      row = JSON.parse(text) as PlanRow;
    } catch (error) {
      throw new BridgeError(
        `${file} line ${line}: not valid JSON (${(error as Error).message}); re-run plan`,
      );
    }

    if (row === null || typeof row !== "object" || typeof row.values !== "object") {
      throw new BridgeError(
        `${file} line ${line}: a plan row needs a "values" object; re-run plan`,
      );
    }

    // The manifest's file hash misses a row edited together with the manifest. Such a row keeps
    // its old hash, and the addon would then skip it as already in Odoo on every later run.
    if (row.hash !== undefined && row.hash !== rowHash(row.values)) {
      throw new BridgeError(
        `${file} line ${line}: the row's hash ${String(row.hash)} does not match its values ` +
          `(${rowHash(row.values)}), so the row was edited after plan wrote it; re-run plan`,
      );
    }

    yield { row, line, bytes: Buffer.byteLength(text, "utf8") + 1 };
  }
}

/**
 * Open a snapshot (its files are checked against its manifest) and describe how it differs
 * from the snapshot a plan was made from: undefined when they are the same, else the start
 * of an error message with both hashes.
 */
export async function planSnapshotMismatch(
  planDir: string,
  snapshotDir: string,
  logger: Logger,
): Promise<string | undefined> {
  const manifest = readPlanManifest(planDir);
  const snapshot = await openSnapshot(snapshotDir, { logger });
  if (snapshot.hash === manifest.snapshotHash) return undefined;
  return (
    `the plan in ${planDir} was made from another snapshot (plan ` +
    `${manifest.snapshotHash.slice(0, 12)}, ${snapshotDir} ${snapshot.hash.slice(0, 12)})`
  );
}
