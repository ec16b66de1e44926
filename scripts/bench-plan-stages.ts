/**
 * Benchmark the steps of plan's contacts phase one at a time, in CPU microseconds per contact.
 * The steps are reading and staging, the sorted scan of the staging database, merging a user's
 * staged rows, building the contact, and its plan line (canonical JSON and sha256).
 *
 *   npx tsx scripts/bench-plan-stages.ts [--users 100000] [--sample 30000] [--work DIR]
 *
 * The snapshot is the one `bench-plan.ts` generates (kept in WORK and reused). Merge, build and
 * row line run three times over the first SAMPLE contacts held in memory, and the last pass is
 * reported, so that each step is measured once V8 has optimised it. The steps of a real plan
 * interleave, so their sum is a little below the contacts phase's CPU time in `bench-plan.ts`.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { generateBenchSnapshot } from "./lib/bench-snapshot.js";
import { bundleEntries } from "./lib/bundle.js";

const { values } = parseArgs({
  options: {
    users: { type: "string", default: "100000" },
    sample: { type: "string", default: "30000" },
    work: { type: "string", default: "/tmp/netmera-bench-plan" },
  },
});
const users = Number(values.users);
const work = resolve(values.work);
const snapshot = join(work, `snapshot-${users}`);
mkdirSync(work, { recursive: true });
if (!existsSync(join(snapshot, "manifest.json"))) {
  await generateBenchSnapshot({ dir: snapshot, users, eventsPerUser: 10 });
}
const [child] = await bundleEntries([
  ["scripts/lib/bench-plan-stages-child.ts", "bench-plan-stages-child.mjs"],
]);
// The same heap cap as the installed binary (bridge/bin/netmera-odoo.js).
const result = spawnSync(
  process.execPath,
  [
    "--max-old-space-size=256",
    child as string,
    snapshot,
    `${snapshot}.mapping.json`,
    join(work, `stages-${users}`),
    values.sample,
  ],
  { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
);
if (result.status !== 0) {
  throw new Error(`bench-plan-stages child failed with status ${result.status}`);
}
const figures = JSON.parse(result.stdout.trim().split("\n").pop() ?? "{}") as Record<
  string,
  number
>;
const perContact = (name: string): number => Number((figures[name] ?? 0).toFixed(1));
const stagedPerContact = (figures.stagedRows ?? 0) / (figures.contacts ?? 1);
const steps = {
  readAndStage: Number(((figures.readAndStagePerStagedRow ?? 0) * stagedPerContact).toFixed(1)),
  sortedScan: perContact("sortedScanPerContact"),
  merge: perContact("mergePerContact"),
  build: perContact("buildPerContact"),
  rowLine: perContact("rowLinePerContact"),
};
const total = Object.values(steps).reduce((sum, value) => sum + value, 0);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}`);
console.log(
  JSON.stringify({
    users,
    userRows: figures.userRows,
    stagedRows: figures.stagedRows,
    contacts: figures.contacts,
    sampledContacts: figures.sampledContacts,
    rowLineBytes: Math.round(figures.rowLineBytes ?? 0),
    cpuMicrosecondsPerContact: { ...steps, total: Number(total.toFixed(1)) },
    contactsPerCpuSecond: Math.round(1e6 / total),
  }),
);
