import { createHash } from "node:crypto";
import { readPlanLines, type PlanRow, type PlannedPhase } from "./plan-files.js";

/**
 * Selection of a `--sample N` run. It takes the N contacts whose extIds come first in sha256
 * order, which are the same N for the same plan whatever the file order. It adds the rows that
 * point at them (history) and everything they point at (companies, tags, stages, owners,
 * campaigns). Schema rows are all taken, because the sampled values need their fields.
 */

/** Row keys picked per phase; a phase absent from the map takes all its rows. */
export type SampleSelection = Map<string, Set<string>>;

/** Key of a row for selection and references: its external ID, or an owner's email. */
export function rowKey(phaseName: string, row: PlanRow, line: number): string {
  if (phaseName === "owners" && typeof row.values.email === "string") {
    return ownerKey(row.values.email);
  }

  return row.xml_id ?? `line:${line}`;
}

function ownerKey(email: string): string {
  return `owner:${email.trim().toLowerCase()}`;
}

/** Collect every relation a row points at: `{xml_id}`, `{xml_ids}` and `{owner_email}`. */
export function rowReferences(row: PlanRow): string[] {
  const found: string[] = [];
  const visit = (value: unknown, depth: number): void => {
    if (depth > 4 || value === null || typeof value !== "object") return;

    if (Array.isArray(value)) {
      for (const item of value) visit(item, depth + 1);
      return;
    }

    const object = value as Record<string, unknown>;
    if (typeof object.xml_id === "string") found.push(object.xml_id);
    if (Array.isArray(object.xml_ids)) {
      for (const id of object.xml_ids) if (typeof id === "string") found.push(id);
    }

    if (typeof object.owner_email === "string") found.push(ownerKey(object.owner_email));
    for (const item of Object.values(object)) visit(item, depth + 1);
  };
  visit(row.values, 0);
  return found;
}

/** Stable sample order: sha256 of the Netmera extId (or of the external ID without one). */
export function sampleOrderKey(row: PlanRow): string {
  const extId = row.values.netmera_external_id;
  const key = typeof extId === "string" && extId !== "" ? extId : (row.xml_id ?? "");
  return createHash("sha256").update(key).digest("hex");
}

interface Ranked {
  order: string;
  key: string;
  references: string[];
}

/** Keep the `size` rows with the smallest order keys, in memory proportional to `size`. */
async function pickSeeds(phase: PlannedPhase, size: number): Promise<Ranked[]> {
  const kept: Ranked[] = [];
  for await (const { row, line } of readPlanLines(phase.path, phase.file)) {
    const order = sampleOrderKey(row);
    if (kept.length >= size && order >= kept[kept.length - 1]!.order) continue;

    let low = 0;
    let high = kept.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (kept[middle]!.order < order) low = middle + 1;
      else high = middle;
    }

    const key = rowKey(phase.definition.name, row, line);
    kept.splice(low, 0, { order, key, references: rowReferences(row) });
    if (kept.length > size) kept.pop();
  }

  return kept;
}

/** Work out which rows of each phase a sample of `size` contacts takes. */
export async function selectSample(phases: PlannedPhase[], size: number): Promise<SampleSelection> {
  const selection: SampleSelection = new Map();
  const referenced = new Set<string>();
  const seedKeys = new Set<string>();

  for (const phase of phases.filter((p) => p.definition.sample === "seed")) {
    const seeds = await pickSeeds(phase, size);
    const keys = new Set(seeds.map((seed) => seed.key));
    selection.set(phase.definition.name, keys);
    for (const seed of seeds) {
      seedKeys.add(seed.key);
      for (const reference of seed.references) referenced.add(reference);
    }
  }

  for (const phase of phases.filter((p) => p.definition.sample === "dependent")) {
    const keys = new Set<string>();
    for await (const { row, line } of readPlanLines(phase.path, phase.file)) {
      const references = rowReferences(row);
      if (!references.some((reference) => seedKeys.has(reference))) continue;

      keys.add(rowKey(phase.definition.name, row, line));
      for (const reference of references) referenced.add(reference);
    }

    selection.set(phase.definition.name, keys);
  }

  // Later phases point at earlier ones (contacts → companies → tags), so walking backwards
  // collects every indirect reference in one pass per phase.
  const referencedPhases = phases.filter((p) => p.definition.sample === "referenced").reverse();
  for (const phase of referencedPhases) {
    const keys = new Set<string>();
    for await (const { row, line } of readPlanLines(phase.path, phase.file)) {
      const key = rowKey(phase.definition.name, row, line);
      if (!referenced.has(key)) continue;

      keys.add(key);
      for (const reference of rowReferences(row)) referenced.add(reference);
    }

    selection.set(phase.definition.name, keys);
  }

  return selection;
}

/** Number of rows a phase imports: the planned count, or the sample's share of it. */
export function selectedCount(phase: PlannedPhase, selection: SampleSelection | undefined): number {
  return selection?.get(phase.definition.name)?.size ?? phase.rows;
}
