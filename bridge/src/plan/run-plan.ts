import { BridgeError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { loadMapping } from "../mapping/store.js";
import { computeMappingHash, confirmationState, statedEncodingsOf } from "../mapping/types.js";
import {
  membershipFiles,
  openSnapshot,
  readProfileAttributes,
  readSegments,
  stateEncodings,
} from "../snapshot/snapshot.js";
import { emptyState, type PhaseProducer, type PlanContext } from "./context.js";
import { PlanOutputs } from "./outputs.js";
import { Progress } from "./progress.js";
import { unbalancedPhases } from "./reconciliation.js";
import { DEFAULT_PRODUCERS, importOrder, productionOrder } from "./registry.js";
import { MappingRules } from "./rules.js";
import type { PhaseCounts } from "./types.js";

export interface PlanOptions {
  snapshotDir: string;
  mappingFile: string;
  outDir: string;
  logger: Logger;
  /** Where progress lines go (standard error for the CLI); none when undefined. */
  progress?: NodeJS.WritableStream;
  producers?: PhaseProducer[];
  /** Worker threads that build contacts: a number, or "auto" (the default). */
  workers?: number | "auto";
}

export interface PlanResult {
  outDir: string;
  snapshotHash: string;
  mappingHash: string;
  /** Why migrate will refuse this mapping, when it is not confirmed for this snapshot. */
  unconfirmedReason?: string;
  phases: PhaseCounts[];
  quarantineRows: number;
  flagRows: number;
}

/**
 * Transform a snapshot into the plan directory (docs/architecture.md): one NDJSON file per
 * phase, quarantine.csv, flags.csv and reconciliation.json. Nothing is written to Odoo, so an
 * unconfirmed mapping is allowed; the result says why migrate would refuse it.
 */
export async function runPlan(options: PlanOptions): Promise<PlanResult> {
  const { logger } = options;
  const snapshot = await openSnapshot(options.snapshotDir, { logger });
  const mapping = await loadMapping(options.mappingFile);
  stateEncodings(snapshot, statedEncodingsOf(mapping));
  const mappingHash = computeMappingHash(mapping);
  const confirmation = confirmationState(mapping, snapshot.hash);

  const state = emptyState();
  for (const membership of membershipFiles(snapshot)) {
    (membership.kind === "segment" ? state.membershipSegments : state.membershipTags).add(
      membership.ref,
    );
  }
  const outputs = await PlanOutputs.create(options.outDir, logger);
  const context: PlanContext = {
    snapshot,
    mapping,
    rules: new MappingRules(mapping),
    attributes: await readProfileAttributes(snapshot),
    segments: await readSegments(snapshot),
    outputs,
    logger,
    progress: new Progress(options.progress),
    state,
    workDir: outputs.workDir,
    workers: options.workers,
  };

  try {
    const counts = new Map<string, PhaseCounts>();
    const files = new Map<string, { file: string; writer: ReturnType<PlanOutputs["phase"]> }>();
    for (const producer of productionOrder(options.producers ?? DEFAULT_PRODUCERS)) {
      const writer = outputs.phase(producer.name);
      logger.info({ phase: producer.name }, "planning phase");
      const phaseCounts = await producer.produce(context, writer);
      phaseCounts.valuesDropped = outputs.valuesDropped(producer.name);
      counts.set(producer.name, phaseCounts);
      files.set(producer.name, { file: writer.file, writer });
    }
    await outputs.closeFiles();

    const names = importOrder([...counts.keys()]);
    const phases = names.map((name) => counts.get(name)) as PhaseCounts[];
    const unbalanced = unbalancedPhases(phases);
    if (unbalanced.length > 0) {
      throw new BridgeError(
        `plan counts do not reconcile for ${unbalanced.map((phase) => `${phase.name} (read ${phase.read}, planned ${phase.planned}, quarantined ${phase.quarantined}, skipped ${phase.skipped})`).join(", ")}`,
      );
    }
    await outputs.writeJson("plan/manifest.json", {
      snapshotHash: snapshot.hash,
      mappingHash,
      mappingConfirmed: confirmation.confirmed,
      sourceTimeZone: snapshot.sourceTimeZone,
      createdAt: new Date().toISOString(),
      phases: names.map((name) => ({
        name,
        file: files.get(name)?.file,
        rows: files.get(name)?.writer.rows ?? 0,
      })),
    });
    await outputs.writeJson("reconciliation.json", { phases, links: state.links });
    const result: PlanResult = {
      outDir: options.outDir,
      snapshotHash: snapshot.hash,
      mappingHash,
      unconfirmedReason: confirmation.confirmed ? undefined : confirmation.reason,
      phases,
      quarantineRows: outputs.quarantineCount,
      flagRows: outputs.flagCount,
    };
    await outputs.commit();
    return result;
  } catch (error) {
    await outputs.discard();
    throw error;
  }
}
