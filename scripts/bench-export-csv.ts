/**
 * Benchmark `export-csv`: wall clock, CPU time and peak RSS of writing the import package.
 *
 *   npx tsx scripts/bench-export-csv.ts --plan DIR [--work DIR] [--owners 50]
 *
 * DIR is a folder written by `plan --out` (for example one that `scripts/bench-plan.ts` keeps
 * under its work folder). The generated snapshots link no contact to a company and name no
 * owner. So the script first copies the plan into WORK and gives every second contact a parent
 * company (the plan's first) and one of `--owners` owner e-mails. The address file and the
 * salesperson file then hold about half the contacts. The package is built in a child process,
 * so that its peak RSS (process.resourceUsage().maxRSS) is its own. The child runs with the
 * installed binary's heap cap, --max-old-space-size=256, under tsx's loader, whose memory the
 * figure includes.
 */
import { spawnSync } from "node:child_process";
import { createReadStream, createWriteStream, existsSync, mkdirSync, rmSync } from "node:fs";
import { copyFile, readFile, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { once } from "node:events";
import { parseArgs } from "node:util";
import { silentLogger } from "../bridge/src/core/log.js";
import { buildPackage } from "../bridge/src/export-csv/build-package.js";
import { readPlanManifest } from "../bridge/src/export-csv/plan-reader.js";

const { values } = parseArgs({
  options: {
    plan: { type: "string" },
    work: { type: "string", default: "/tmp/bench-export-csv" },
    owners: { type: "string", default: "50" },
    child: { type: "boolean", default: false },
  },
});

async function firstCompany(planDir: string): Promise<string> {
  const text = await readFile(join(planDir, "plan", "companies.ndjson"), "utf8");
  const first = text.split("\n").find((line) => line.trim() !== "");
  const xmlId = first ? (JSON.parse(first) as { xml_id?: string }).xml_id : undefined;
  if (!xmlId) {
    throw new Error(`${planDir}/plan/companies.ndjson has no company to link contacts to`);
  }
  return xmlId;
}

/** Copy the plan into `target`, linking every second contact to a company and an owner. */
async function derivePlan(source: string, target: string, owners: number): Promise<void> {
  rmSync(target, { recursive: true, force: true });
  mkdirSync(join(target, "plan"), { recursive: true });
  const manifest = await readPlanManifest(source);
  await copyFile(join(source, "plan", "manifest.json"), join(target, "plan", "manifest.json"));
  const company = await firstCompany(source);
  for (const phase of manifest.phases) {
    const from = join(source, "plan", phase.file);
    const to = join(target, "plan", phase.file);
    if (phase.name !== "contacts") {
      await copyFile(from, to);
      continue;
    }
    const out = createWriteStream(to);
    let line = 0;
    for await (const text of createInterface({ input: createReadStream(from) })) {
      line += 1;
      const row = JSON.parse(text) as { values: Record<string, unknown> };
      if (line % 2 === 0) {
        row.values.parent_id = { xml_id: company };
        row.values.user_id = { owner_email: `owner${line % owners}@example.com` };
      }
      if (!out.write(`${JSON.stringify(row)}\n`)) {
        await once(out, "drain");
      }
    }
    out.end();
    await once(out, "close");
  }
}

async function runChild(planDir: string, outDir: string): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  const manifest = await readPlanManifest(planDir);
  const started = performance.now();
  const guide = await buildPackage({ planDir, manifest, outDir, logger: silentLogger });
  const usage = process.resourceUsage();
  const report = {
    seconds: (performance.now() - started) / 1000,
    cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
    maxRssMb: usage.maxRSS / 1024,
    files: guide.files.map((file) => ({ file: file.file, rows: file.rows })),
  };
  await writeFile(join(outDir, "..", "report.json"), JSON.stringify(report));
}

async function main(): Promise<void> {
  if (!values.plan) {
    throw new Error("--plan DIR is required: a folder written by `plan --out`");
  }
  const work = resolve(values.work);
  const planDir = join(work, "plan-linked");
  const outDir = join(work, "package");
  if (values.child) {
    await runChild(resolve(values.plan), outDir);
    return;
  }

  mkdirSync(work, { recursive: true });
  if (!existsSync(join(planDir, "plan", "manifest.json"))) {
    await derivePlan(resolve(values.plan), planDir, Number(values.owners));
  }
  const result = spawnSync(
    process.execPath,
    [
      "--max-old-space-size=256",
      "--import",
      "tsx",
      import.meta.filename,
      "--child",
      "--plan",
      planDir,
      "--work",
      work,
    ],
    { stdio: "inherit" },
  );
  if (result.status !== 0) {
    throw new Error(`the export child failed with status ${result.status}`);
  }
  const report = JSON.parse(await readFile(join(work, "report.json"), "utf8")) as {
    seconds: number;
    cpuSeconds: number;
    maxRssMb: number;
    files: { file: string; rows: number }[];
  };
  rmSync(outDir, { recursive: true, force: true });
  process.stdout.write(
    `machine: ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}\n` +
      `wall clock ${report.seconds.toFixed(1)} s, CPU ${report.cpuSeconds.toFixed(1)} s, ` +
      `peak RSS ${report.maxRssMb.toFixed(0)} MiB\n` +
      report.files
        .map((f) => `  ${f.file.padEnd(34)} ${String(f.rows).padStart(9)} rows`)
        .join("\n") +
      "\n",
  );
}

await main();
