/**
 * Plans a small snapshot the way a user does (map, confirm, plan) and reads back what plan
 * wrote, for tests of single reading and planning rules.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import type { Mapping } from "../../bridge/src/mapping/types.js";
import { writeFiles } from "../input-support.js";
import { runCli } from "./cli.js";

export interface PlanRowRead {
  xml_id: string;
  values: Record<string, unknown>;
}

export interface PlannedSnapshot {
  out: string;
  /** Rows of plan/contacts.ndjson in file order. */
  rows: PlanRowRead[];
  /** Contact values by external ID. */
  contacts: Map<string, Record<string, unknown>>;
  flags: Record<string, string>[];
  quarantine: Record<string, string>[];
  reconciliation: { phases: { name: string; read: number; planned: number }[] };
}

function csvRows(path: string): Record<string, string>[] {
  return parse(readFileSync(path), { columns: true }) as Record<string, string>[];
}

/** Read a plan's rows of one phase, in file order. */
export function planRows(out: string, phase: string): PlanRowRead[] {
  return readFileSync(join(out, "plan", `${phase}.ndjson`), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as PlanRowRead);
}

async function run(args: string[]): Promise<void> {
  const result = await runCli(args);
  if (result.code !== 0 || result.stderr.includes("error")) {
    throw new Error(`netmera-odoo ${args[0]} failed (${result.code}): ${result.stderr}`);
  }
}

/**
 * Write `files` as a snapshot under `root`, propose a mapping, let `edit` change it as a
 * reviewer would, confirm it and plan. A failing command throws with its output.
 */
export async function planSnapshot(
  root: string,
  files: Record<string, string | Buffer>,
  edit?: (mapping: Mapping) => void,
): Promise<PlannedSnapshot> {
  const snapshot = join(root, "snapshot");
  const out = join(root, "out");
  const mappingFile = join(out, "mapping.json");
  writeFiles(snapshot, files);
  await run(["map", snapshot, "--out", out]);
  if (edit) {
    const mapping = JSON.parse(readFileSync(mappingFile, "utf8")) as Mapping;
    edit(mapping);
    writeFileSync(mappingFile, JSON.stringify(mapping, null, 2));
  }
  await run(["map", snapshot, "--confirm", "--by", "test", "--mapping", mappingFile]);
  await run(["plan", snapshot, "--out", out, "--no-progress"]);

  const rows = planRows(out, "contacts");
  return {
    out,
    rows,
    contacts: new Map(rows.map((row) => [row.xml_id, row.values])),
    flags: csvRows(join(out, "flags.csv")),
    quarantine: csvRows(join(out, "quarantine.csv")),
    reconciliation: JSON.parse(readFileSync(join(out, "reconciliation.json"), "utf8")) as {
      phases: { name: string; read: number; planned: number }[];
    },
  };
}
