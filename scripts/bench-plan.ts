/**
 * Benchmark `plan`: user rows per second and peak RSS on generated snapshots.
 *
 *   npx tsx scripts/bench-plan.ts [--users 100000,1000000] [--events-per-user 10]
 *                                 [--work DIR] [--snapshot DIR] [--phases all|reader]
 *                                 [--heap-mb N] [--workers auto|N]
 *
 * For each size a snapshot is generated into WORK (kept, and reused when it exists) with a
 * mapping that covers its columns, then plan runs in a child process so that its peak RSS
 * (process.resourceUsage().maxRSS) is its own. `--phases reader` runs only the phases of the
 * snapshot reader (schema, tags, stages, owners, companies, contacts), without campaigns and
 * history, whose cost grows with the events rather than the users. `--heap-mb` caps the child's
 * V8 heap (--max-old-space-size), which shows how much of the peak RSS is heap V8 had not yet
 * collected.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { generateBenchSnapshot } from "./lib/bench-snapshot.js";
import { bundleEntries } from "./lib/bundle.js";

interface ChildReport {
  seconds: number;
  cpuSeconds: number;
  maxRssMb: number;
  contactsSeconds: number;
  userRows: number;
  phases: { name: string; read: number; planned: number; quarantined: number; skipped: number }[];
}

/** Bundle the child and the contact worker (see bundleEntries). */
async function bundleChild(): Promise<string> {
  // The contacts phase starts its worker threads from contact-worker.js beside its own module.
  const [child] = await bundleEntries([
    ["scripts/lib/bench-plan-child.ts", "bench-plan-child.mjs"],
    ["bridge/src/plan/contact-worker.ts", "contact-worker.js"],
  ]);
  return child as string;
}

function runChild(
  child: string,
  snapshot: string,
  out: string,
  phases: string,
  heapMb: string | undefined,
  workers: string,
): ChildReport {
  // The installed binary runs with --max-old-space-size=256 (bridge/bin/netmera-odoo.js).
  const heap = [`--max-old-space-size=${heapMb ?? "256"}`];
  const result = spawnSync(
    process.execPath,
    [...heap, child, snapshot, `${snapshot}.mapping.json`, out, phases, workers],
    { encoding: "utf8", maxBuffer: 1 << 24, stdio: ["ignore", "pipe", "inherit"] },
  );
  if (result.status !== 0) {
    throw new Error(`plan child failed with status ${result.status}`);
  }
  const last = result.stdout.trim().split("\n").pop() ?? "{}";
  return JSON.parse(last) as ChildReport;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      users: { type: "string", default: "100000,1000000" },
      "events-per-user": { type: "string", default: "10" },
      work: { type: "string", default: "/tmp/netmera-bench-plan" },
      snapshot: { type: "string" },
      phases: { type: "string", default: "all" },
      "heap-mb": { type: "string" },
      workers: { type: "string", default: "auto" },
    },
  });
  const sizes = values.users.split(",").map(Number);
  const eventsPerUser = Number(values["events-per-user"]);
  const work = resolve(values.work);
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
  );
  mkdirSync(work, { recursive: true });
  const child = await bundleChild();
  const targets = values.snapshot
    ? [{ users: 0, dir: resolve(values.snapshot) }]
    : sizes.map((users) => ({ users, dir: join(work, `snapshot-${users}`) }));
  for (const target of targets) {
    if (target.users > 0 && !existsSync(join(target.dir, "manifest.json"))) {
      const started = Date.now();
      await generateBenchSnapshot({ dir: target.dir, users: target.users, eventsPerUser });
      console.log(
        `generated ${target.users} users in ${((Date.now() - started) / 1000).toFixed(1)} s: ${target.dir}`,
      );
    }
    const report = runChild(
      child,
      target.dir,
      join(work, `plan-${target.users}`),
      values.phases,
      values["heap-mb"],
      values.workers,
    );
    const contacts = report.phases.find((phase) => phase.name === "contacts");
    console.log(
      JSON.stringify({
        users: target.users,
        phases: values.phases,
        heapMb: values["heap-mb"] ?? null,
        workers: values.workers,
        userRows: report.userRows,
        contacts: contacts?.planned,
        seconds: Number(report.seconds.toFixed(1)),
        cpuSeconds: Number(report.cpuSeconds.toFixed(1)),
        userRowsPerSecond: Math.round(report.userRows / report.seconds),
        // On a shared machine the wall clock depends on the load; CPU time much less so.
        userRowsPerCpuSecond: Math.round(report.userRows / report.cpuSeconds),
        contactsPhaseUserRowsPerSecond: Math.round(report.userRows / report.contactsSeconds),
        maxRssMb: report.maxRssMb,
      }),
    );
  }
}

await main();
