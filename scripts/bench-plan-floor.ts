/**
 * Floor of a per-row pipeline on this machine, for comparison with `bench-plan.ts`: read a user
 * export line by line, split it, build an object of its cells with sorted keys, serialise it
 * with JSON.stringify, hash it with sha256 and write NDJSON. It has no type conversion, no merge
 * and no staging, so plan can never be faster per CPU second than this.
 *
 *   npx tsx scripts/bench-plan-floor.ts [--file users/people-export.csv of a bench snapshot]
 *
 * The default file is the one `bench-plan.ts --users 100000` generates.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    file: {
      type: "string",
      default: "/tmp/netmera-bench-plan/snapshot-100000/users/people-export.csv",
    },
  },
});

const out = createWriteStream(join(tmpdir(), "netmera-bench-floor.ndjson"));
const started = process.hrtime.bigint();
const cpuBefore = process.cpuUsage();
let rows = 0;
let headers: string[] | undefined;
let keys: { key: string; index: number }[] = [];
let pending: string[] = [];
const lines = createInterface({
  input: createReadStream(values.file, "utf8"),
  crlfDelay: Infinity,
});
for await (const line of lines) {
  const cells = line.split(";");
  if (!headers) {
    headers = cells.map((header) => header.replace(/^\uFEFF/, ""));
    keys = headers.map((key, index) => ({ key, index })).sort((a, b) => (a.key < b.key ? -1 : 1));
    continue;
  }
  const row: Record<string, string | null> = {};
  for (const { key, index } of keys) row[key] = cells[index] ?? null;
  const json = JSON.stringify(row);
  const hash = createHash("sha256").update(json).digest("hex").slice(0, 32);
  pending.push(`{"values":${json},"hash":"${hash}"}\n`);
  if (pending.length >= 1000) {
    if (!out.write(pending.join("")))
      await new Promise<void>((done) => out.once("drain", () => done()));
    pending = [];
  }
  rows += 1;
}
out.write(pending.join(""));
await new Promise<void>((done) => out.end(() => done()));

const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const cpu = process.cpuUsage(cpuBefore);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
console.log(
  JSON.stringify({
    rows,
    seconds: Number(seconds.toFixed(2)),
    cpuSeconds: Number(cpuSeconds.toFixed(2)),
    rowsPerSecond: Math.round(rows / seconds),
    rowsPerCpuSecond: Math.round(rows / cpuSeconds),
  }),
);
