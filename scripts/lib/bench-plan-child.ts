/** Child process of scripts/bench-plan.ts: run plan once and print one JSON line of figures. */
import { createLogger } from "../../bridge/src/core/log.js";
import type { PhaseProducer } from "../../bridge/src/plan/context.js";
import { DEFAULT_PRODUCERS } from "../../bridge/src/plan/registry.js";
import { runPlan } from "../../bridge/src/plan/run-plan.js";

const [snapshotDir, mappingFile, outDir, phases, workers = "auto"] = process.argv.slice(2);
if (!snapshotDir || !mappingFile || !outDir) {
  throw new Error("usage: bench-plan-child SNAPSHOT MAPPING OUT [all|reader] [WORKERS|auto]");
}
const readerPhases = new Set(["schema", "tags", "stages", "owners", "companies", "contacts"]);
const producers: PhaseProducer[] =
  phases === "reader"
    ? DEFAULT_PRODUCERS.filter((producer) => readerPhases.has(producer.name))
    : DEFAULT_PRODUCERS;

// Time the contacts phase by wrapping its producer; the rest of the plan is unchanged.
let contactsSeconds = 0;
const timed = producers.map((producer): PhaseProducer => {
  if (producer.name !== "contacts") {
    return producer;
  }
  return {
    ...producer,
    async produce(context, writer) {
      const started = process.hrtime.bigint();
      const counts = await producer.produce(context, writer);
      contactsSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      return counts;
    },
  };
});

const cpuStart = process.cpuUsage();
const started = process.hrtime.bigint();
const result = await runPlan({
  snapshotDir,
  mappingFile,
  outDir,
  logger: createLogger({ level: "warn" }),
  progress: process.stderr,
  producers: timed,
  workers: workers === "auto" ? "auto" : Number(workers),
});
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const cpu = process.cpuUsage(cpuStart);
const contacts = result.phases.find((phase) => phase.name === "contacts");
process.stdout.write(
  `${JSON.stringify({
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    contactsSeconds,
    userRows: contacts?.read ?? 0,
    phases: result.phases,
  })}\n`,
);
