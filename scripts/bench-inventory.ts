/**
 * Time and memory of the inventory for a large customer: the plan's flags.csv and
 * quarantine.csv with millions of rows, and many journeys, campaigns and widgets to print.
 *
 *   npx tsx scripts/bench-inventory.ts --flags 2000000 --quarantine 200000 --campaigns 500
 *
 * The plan files and definition files are generated first (not timed). Then the data-quality
 * reader streams the plan files on its own (timed), and the whole inventory is written with
 * headless Chromium (timed). Prints rows/s, wall time, page count and the process's peak
 * resident set size, which the Chromium child does not count towards.
 */
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { createHash } from "node:crypto";
import {
  cpSync,
  createWriteStream,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { silentLogger } from "../bridge/src/core/log.js";
import { readPlanQuality } from "../bridge/src/inventory/read-plan.js";
import { chromiumPathFrom } from "../bridge/src/inventory/render-pdf.js";
import { writeInventory } from "../bridge/src/inventory/write-inventory.js";

const { values } = parseArgs({
  options: {
    flags: { type: "string", default: "2000000" },
    quarantine: { type: "string", default: "200000" },
    campaigns: { type: "string", default: "500" },
    keep: { type: "boolean", default: false },
  },
});
const flagRows = Number(values.flags);
const quarantineRows = Number(values.quarantine);
const campaignCount = Number(values.campaigns);

const FIXTURE = resolve(import.meta.dirname, "../test/fixtures/inventory/snapshot");
const work = mkdtempSync(join(tmpdir(), "bench-inventory-"));
const planDir = join(work, "plan");
const snapshotDir = join(work, "snapshot");

function cpuSeconds(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1e6;
}

async function writeLines(
  file: string,
  header: string,
  count: number,
  line: (i: number) => string,
) {
  const stream = createWriteStream(file);
  stream.write(`${header}\n`);
  for (let index = 0; index < count; index += 1) {
    if (!stream.write(`${line(index)}\n`)) {
      await once(stream, "drain");
    }
  }
  stream.end();
  await once(stream, "finish");
}

const flagNames = ["anonymous", "untagged", "unknown_owner", "duplicate_email"];
cpSync(resolve(FIXTURE, "../plan"), planDir, { recursive: true });
await writeLines(join(planDir, "flags.csv"), "xml_id,extid,flag,detail", flagRows, (index) => {
  const flag = flagNames[index % flagNames.length];
  const detail = flag === "unknown_owner" ? `owner${index % 50}@example.com.tr` : "detail";
  return `netmera_user_u${index}_0123456789ab,kullanıcı.${index},${flag},${detail}`;
});
const reasons = ["is not an email address", "is not a phone number", "is not a known country"];
await writeLines(
  join(planDir, "quarantine.csv"),
  "file,line,column,value,reason",
  quarantineRows,
  (index) => `users/segment-${index % 7}.csv,${index + 2},Email,x${index},${reasons[index % 3]}`,
);

// A snapshot with many campaigns, copied from the fixture's first campaign.
cpSync(FIXTURE, snapshotDir, { recursive: true });
const campaigns = JSON.parse(readFileSync(join(snapshotDir, "campaigns.json"), "utf8"));
const many = Array.from({ length: campaignCount }, (_, index) => ({
  ...campaigns[index % campaigns.length],
  id: `cmp-bench-${index}`,
  name: `Kampanya ${index} — Şubat İndirimi`,
}));
writeFileSync(join(snapshotDir, "campaigns.json"), JSON.stringify(many));
const manifest = JSON.parse(readFileSync(join(snapshotDir, "manifest.json"), "utf8"));
manifest.files["campaigns.json"] = createHash("sha256")
  .update(readFileSync(join(snapshotDir, "campaigns.json")))
  .digest("hex");
writeFileSync(join(snapshotDir, "manifest.json"), JSON.stringify(manifest));

const readStart = performance.now();
const readCpu = process.cpuUsage();
const quality = await readPlanQuality(planDir);
const readSeconds = (performance.now() - readStart) / 1000;
const readCpuSeconds = cpuSeconds(process.cpuUsage(readCpu));
const rowsRead = (quality.flags?.total ?? 0) + (quality.quarantine?.total ?? 0);

const writeStart = performance.now();
const written = await writeInventory({
  snapshotDir,
  planDir,
  outDir: join(work, "out"),
  chromiumPath: chromiumPathFrom(undefined, process.env),
  logger: silentLogger,
});
const writeSeconds = (performance.now() - writeStart) / 1000;
const pages = /^Pages:\s+(\d+)/m.exec(
  execFileSync("pdfinfo", [written.pdfFile], { encoding: "utf8" }),
)?.[1];

console.log(`flags.csv rows: ${flagRows}, quarantine.csv rows: ${quarantineRows}`);
console.log(
  `plan files read: ${readSeconds.toFixed(1)} s wall, ${readCpuSeconds.toFixed(1)} s CPU, ` +
    `${Math.round(rowsRead / readSeconds)} rows/s wall, ` +
    `${Math.round(rowsRead / readCpuSeconds)} rows per CPU second`,
);
console.log(
  `inventory with ${campaignCount} campaigns: ${writeSeconds.toFixed(1)} s, ${pages} pages, ` +
    `PDF ${(written.pdfBytes / 1e6).toFixed(1)} MB`,
);
console.log(`peak RSS of this process: ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
console.log(
  `load average: ${loadavg()
    .map((load) => load.toFixed(1))
    .join(" ")}`,
);

if (!values.keep) {
  rmSync(work, { recursive: true, force: true });
}
