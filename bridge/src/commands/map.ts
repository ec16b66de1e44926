import { access, mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { ConfigError } from "../core/errors.js";
import { assertOutsideSnapshot } from "../core/out-dir.js";
import { collectObservations } from "../mapping/collect.js";
import { MAX_PARTNER_COLUMNS } from "../odoo/mapping-targets.js";
import { proposeMapping } from "../mapping/propose.js";
import { noteFileEncodings } from "../mapping/propose-files.js";
import { confirmMapping, loadMapping, saveMapping } from "../mapping/store.js";
import { formatMappingTable } from "../mapping/summary.js";
import { encodingDecision } from "../snapshot/encoding.js";
import {
  missingDefinitionsWarning,
  openSnapshot,
  parseEncodingOptions,
  snapshotPath,
  stateEncodings,
} from "../snapshot/snapshot.js";
import type { CliContext } from "./context.js";

interface MapOptions {
  out: string;
  confirm?: boolean;
  by?: string;
  mapping?: string;
  force?: boolean;
  eventThreshold?: string;
  encoding: string[];
}

function collectValues(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function threshold(text: string | undefined): number | undefined {
  if (text === undefined) {
    return undefined;
  }

  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigError(`--event-threshold must be a whole number of 1 or more, got "${text}"`);
  }
  return value;
}

async function propose(
  snapshotDir: string,
  options: MapOptions,
  context: CliContext,
): Promise<void> {
  const target = join(options.out, "mapping.json");
  if (!options.force && (await exists(target))) {
    throw new ConfigError(
      `${target} already exists and may hold reviewed edits; pass --force to replace it`,
    );
  }

  const snapshot = await openSnapshot(snapshotDir, { logger: context.logger });
  const statedEncodings = parseEncodingOptions(options.encoding);
  stateEncodings(snapshot, statedEncodings);
  const missing = missingDefinitionsWarning(snapshot);
  if (missing) {
    context.stderr.write(`${missing}\n`);
  }
  const observations = await collectObservations(snapshot, context.logger);
  await mkdir(options.out, { recursive: true });
  const eventThreshold = threshold(options.eventThreshold);
  const mapping = proposeMapping(observations, {
    snapshotHash: snapshot.hash,
    proposedAt: new Date().toISOString(),
    settings: eventThreshold ? { eventConsolidationThreshold: eventThreshold } : {},
  });
  noteFileEncodings(mapping.entries, {
    stated: statedEncodings,
    guessed: snapshot.files.filter(
      (file) => encodingDecision(snapshotPath(snapshot, file))?.source === "guessed",
    ),
  });
  await saveMapping(target, mapping);

  const created = mapping.entries.filter(
    (entry) =>
      entry.target.model === "res.partner" &&
      entry.target.action === "create" &&
      Boolean(entry.target.field),
  ).length;
  if (created > MANY_CREATED_FIELDS) {
    context.stderr.write(
      `warning: the mapping creates ${created} contact fields; each is a column of res_partner, ` +
        "where PostgreSQL allows 1,600 columns counting dropped ones, and migrate refuses more " +
        `than ${MAX_PARTNER_COLUMNS} in all. Set the entries you do not need to "skip" before ` +
        "confirming\n",
    );
  }
  context.stdout.write(formatMappingTable(mapping));
  context.stdout.write(
    `\nwrote ${target}\nreview it, then run: netmera-odoo map ${snapshotDir} --confirm --by NAME --mapping ${target}\n`,
  );
}

/** Created contact fields above which map warns: a wide export rarely needs them all. */
const MANY_CREATED_FIELDS = 300;

/** Names a person may confirm by: no control or invisible formatting characters. */
const CONFIRMED_BY = /^[^\p{Cc}\p{Cf}]+$/u;

async function confirm(
  snapshotDir: string,
  options: MapOptions,
  context: CliContext,
): Promise<void> {
  if (!options.by?.trim()) {
    throw new ConfigError("--confirm needs --by NAME, the person who reviewed the mapping");
  }
  if (!CONFIRMED_BY.test(options.by)) {
    throw new ConfigError(
      `--by ${JSON.stringify(options.by)} contains control or invisible characters; give the reviewer's name as plain text`,
    );
  }

  const path = options.mapping ?? join(options.out, "mapping.json");
  const mapping = await loadMapping(path);
  const snapshot = await openSnapshot(snapshotDir, { logger: context.logger });
  if (mapping.snapshotHash !== snapshot.hash) {
    context.stderr.write(
      `warning: ${path} was proposed for snapshot ${mapping.snapshotHash.slice(0, 12)}…; ` +
        `confirming it for ${snapshot.hash.slice(0, 12)}…\n`,
    );
  }

  const confirmed = confirmMapping(mapping, options.by, snapshot.hash);
  await saveMapping(path, confirmed);
  const review = confirmed.entries.filter((entry) => entry.review).length;
  const confirmation = confirmed.confirmation;
  context.stdout.write(
    `confirmed ${resolve(path)} by ${confirmation?.by} at ${confirmation?.at}\n` +
      `mapping sha256 ${confirmation?.mappingHash}\nsnapshot hash ${confirmation?.snapshotHash}\n` +
      (review > 0 ? `${review} entries marked for review were accepted as they are\n` : "") +
      "any edit of the mapping or change of the snapshot voids this confirmation\n",
  );
}

export function registerMap(program: Command, context: CliContext): void {
  program
    .command("map")
    .description(
      "propose mapping.json (every column, attribute, event and file → Odoo target), or confirm it",
    )
    .argument("<snapshot>", "snapshot folder")
    .option("--out <dir>", "folder that receives mapping.json", ".")
    .option("--confirm", "record that a person reviewed the mapping (needs --by)")
    .option("--by <name>", "name of the person confirming")
    .option("--mapping <file>", "mapping file to confirm (default: <out>/mapping.json)")
    .option("--force", "replace an existing mapping.json when proposing")
    .option(
      "--event-threshold <n>",
      "events per contact, day and event code above which they are consolidated (default 10)",
    )
    .option(
      "--encoding <file=encoding>",
      "read a snapshot file in this encoding (latin1, windows-1254, windows-1252, iso-8859-9, " +
        "utf-8 …) instead of detecting it; repeatable; recorded in mapping.json for plan",
      collectValues,
      [],
    )
    .action(async (snapshotDir: string, options: MapOptions) => {
      assertOutsideSnapshot(
        snapshotDir,
        options.confirm && options.mapping ? options.mapping : join(options.out, "mapping.json"),
        "the mapping",
      );
      if (options.confirm) {
        await confirm(snapshotDir, options, context);
        return;
      }
      await propose(snapshotDir, options, context);
    });
}
