/**
 * Throughput and memory of the history phase plan: N events for M contacts, in unsorted event
 * files, through staging, consolidation and the time-ordered output.
 *
 *   npx tsx scripts/bench-history.ts --events 1000000 --contacts 10000
 *
 * The events are generated first (not timed), then `planHistoryPhase` runs with the snapshot
 * reader's CSV tables and writes history.ndjson into a temporary folder. Prints events/s of the
 * phase (wall clock and per CPU second, since other work on the machine slows the first) and
 * the process's peak resident set size.
 */
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { silentLogger } from "../bridge/src/core/log.js";
import { planHistoryPhase } from "../bridge/src/history/history-phase.js";
import { ZoneClock } from "../bridge/src/history/time-zone.js";
import type { Mapping, MappingEntry } from "../bridge/src/mapping/types.js";
import { openTable } from "../bridge/src/snapshot/table.js";
import { Random } from "./lib/generator/random.js";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "1000000" },
    contacts: { type: "string", default: "10000" },
    files: { type: "string", default: "4" },
    keep: { type: "boolean", default: false },
  },
});
const eventCount = Number(values.events);
const contactCount = Number(values.contacts);
const fileCount = Number(values.files);

const CODES = ["page_view", "n:oa", "search", "add_to_cart", "purchase"];
const DAY_MS = 86_400_000;
const START = Date.UTC(2024, 0, 1);

function entry(code: string, action: "note" | "activity"): MappingEntry {
  return {
    source: { kind: "event", name: code, label: code },
    target: { model: "mail.message", field: null, type: null, action },
    confidence: 1,
    reason: "benchmark",
    review: false,
  };
}

const mapping: Mapping = {
  version: 1,
  snapshotHash: "benchmark",
  proposedAt: new Date(0).toISOString(),
  settings: { eventConsolidationThreshold: 10, arraySeparator: ";" },
  confirmation: null,
  entries: CODES.map((code) => entry(code, code === "purchase" ? "activity" : "note")),
};

/**
 * Events in random time order: most contacts spread theirs over 90 days, one in ten crams a
 * quarter of theirs into a few days, so that consolidation has work to do.
 */
async function generate(dir: string): Promise<string[]> {
  const random = new Random("bench-history");
  const files: string[] = [];
  for (let f = 0; f < fileCount; f += 1) {
    const file = `events/part-${f}.csv`;
    files.push(file);
    const out = createWriteStream(join(dir, file));
    out.write("externalId,installationId,eventCode,timestamp,attributes\n");
    const rows = Math.floor(eventCount / fileCount) + (f < eventCount % fileCount ? 1 : 0);
    let buffer: string[] = [];
    for (let i = 0; i < rows; i += 1) {
      const contact = random.int(0, contactCount - 1);
      const busy = contact % 10 === 0 && random.next() < 0.25;
      const day = busy ? contact % 5 : random.int(0, 89);
      const ms = START + day * DAY_MS + random.int(0, DAY_MS - 1);
      const code = busy ? "page_view" : CODES[random.int(0, CODES.length - 1)]!;
      const iso = new Date(ms).toISOString();
      buffer.push(
        `C${contact},inst-${contact},${code},${iso},"{""page"":""/p${random.int(0, 50)}""}"\n`,
      );
      if (buffer.length >= 10_000) {
        if (!out.write(buffer.join(""))) await once(out, "drain");
        buffer = [];
      }
    }
    out.end(buffer.join(""));
    await once(out, "close");
  }
  return files;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bench-history-"));
  mkdirSync(join(dir, "events"));
  writeFileSync(join(dir, "campaigns.json"), "[]");
  try {
    const generatedAt = Date.now();
    const eventFiles = await generate(dir);
    const generateSeconds = (Date.now() - generatedAt) / 1000;

    const out = createWriteStream(join(dir, "history.ndjson"));
    let rows = 0;
    const started = Date.now();
    const cpuBefore = process.cpuUsage();
    const tally = await planHistoryPhase(
      {
        snapshotDir: dir,
        clock: new ZoneClock("Europe/Istanbul"),
        mapping,
        eventFiles,
        pushResultFiles: [],
        openTable: (file) => openTable(join(dir, file), file, silentLogger),
        contactExtIds: Array.from({ length: contactCount }, (_, i) => `C${i}`),
        workDir: dir,
        logger: silentLogger,
      },
      {
        row: async (row) => {
          rows += 1;
          if (!out.write(`${JSON.stringify(row)}\n`)) await once(out, "drain");
        },
        quarantine: () => undefined,
        flag: () => undefined,
      },
    );
    out.end();
    await once(out, "close");
    const seconds = (Date.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const peakRssMb = process.resourceUsage().maxRSS / 1024;

    console.log(
      JSON.stringify(
        {
          events: eventCount,
          contacts: contactCount,
          files: fileCount,
          generateSeconds,
          planSeconds: seconds,
          eventsPerSecond: Math.round(tally.read / seconds),
          cpuSeconds: Math.round(cpuSeconds * 10) / 10,
          eventsPerCpuSecond: Math.round(tally.read / cpuSeconds),
          loadAverage: loadavg().map((value) => Math.round(value * 10) / 10),
          rows,
          skipped: tally.skipReasons,
          peakRssMb: Math.round(peakRssMb),
        },
        null,
        2,
      ),
    );
  } finally {
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
