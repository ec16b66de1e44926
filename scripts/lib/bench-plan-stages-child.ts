/**
 * Child process of scripts/bench-plan-stages.ts: time each stage of the contacts phase on its
 * own and print one JSON line of CPU microseconds per row.
 */
import { createLogger } from "../../bridge/src/core/log.js";
import { NumberFormatTable } from "../../bridge/src/normalize/numbers.js";
import { buildContact } from "../../bridge/src/plan/contact-builder.js";
import type { PhaseProducer } from "../../bridge/src/plan/context.js";
import { planRowLine } from "../../bridge/src/plan/outputs.js";
import { contactEnvironment } from "../../bridge/src/plan/phase-contacts.js";
import { DEFAULT_PRODUCERS } from "../../bridge/src/plan/registry.js";
import { numericMeanings } from "../../bridge/src/plan/rules.js";
import { runPlan } from "../../bridge/src/plan/run-plan.js";
import { emptyCounts } from "../../bridge/src/plan/types.js";
import { Staging, type StagedGroup } from "../../bridge/src/snapshot/staging.js";
import { mergeGroup, stageSnapshot, type MergedUser } from "../../bridge/src/snapshot/users.js";

const [snapshotDir, mappingFile, outDir, sample = "30000"] = process.argv.slice(2);
if (!snapshotDir || !mappingFile || !outDir) {
  throw new Error("usage: bench-plan-stages-child SNAPSHOT MAPPING OUT [SAMPLE]");
}
const sampleSize = Number(sample);
const PASSES = 3;

/** Measure the CPU microseconds (user + system) that `work` takes. */
function cpuMicros(work: () => void): number {
  const before = process.cpuUsage();
  work();
  const used = process.cpuUsage(before);
  return used.user + used.system;
}

const figures: Record<string, number> = {};

// A contacts phase that runs its steps one after another instead of interleaved, so that each
// can be timed. The phases before it are the real ones.
const stagesProducer: PhaseProducer = {
  name: "contacts",
  after: ["owners", "companies", "stages"],
  async produce(context) {
    const staging = new Staging(context.workDir);
    try {
      const numeric = numericMeanings(context.rules);
      const numberFormats = new NumberFormatTable();
      const before = process.cpuUsage();
      const staged = await stageSnapshot(
        context.snapshot,
        staging,
        context.attributes,
        {
          onProblem: () => undefined,
          onValue: (meaning, value, file) => {
            if (numeric.has(meaning)) numberFormats.observe(file, meaning, value);
          },
          onProgress: () => undefined,
        },
        context.logger,
      );
      const reading = process.cpuUsage(before);
      const stagedRows = staged.userRows + staged.deviceRows + staged.memberRows;
      figures.userRows = staged.userRows;
      figures.stagedRows = stagedRows;
      figures.readAndStagePerStagedRow = (reading.user + reading.system) / stagedRows;

      const files = staging.files();
      const sampled: StagedGroup[] = [];
      let groups = 0;
      const scan = cpuMicros(() => {
        for (const group of staging.groups()) {
          groups += 1;
          if (sampled.length < sampleSize) sampled.push(group);
        }
      });
      figures.contacts = groups;
      figures.sortedScanPerContact = scan / groups;

      const environment = contactEnvironment(context, numberFormats);
      // Only the last pass counts, so that each step is measured with optimised code.
      for (let pass = 0; pass < PASSES; pass += 1) {
        let users: MergedUser[] = [];
        let contacts: ReturnType<typeof buildContact>[] = [];
        const merge = cpuMicros(() => {
          users = sampled.map((group) => mergeGroup(group, files));
        });
        const build = cpuMicros(() => {
          contacts = users.map((user) => buildContact(user, environment));
        });
        let bytes = 0;
        const row = cpuMicros(() => {
          for (const contact of contacts) {
            bytes += planRowLine({
              xml_id: contact.xmlId,
              values: contact.values,
              source: contact.source,
            }).length;
          }
        });
        figures.mergePerContact = merge / sampled.length;
        figures.buildPerContact = build / sampled.length;
        figures.rowLinePerContact = row / sampled.length;
        figures.rowLineBytes = bytes / sampled.length;
      }
      figures.sampledContacts = sampled.length;
    } finally {
      staging.close();
    }
    return emptyCounts("contacts");
  },
};

const before = new Set(["schema", "tags", "stages", "owners", "companies"]);
await runPlan({
  snapshotDir,
  mappingFile,
  outDir,
  logger: createLogger({ level: "warn" }),
  producers: [...DEFAULT_PRODUCERS.filter((producer) => before.has(producer.name)), stagesProducer],
  workers: 0,
});
process.stdout.write(`${JSON.stringify(figures)}\n`);
