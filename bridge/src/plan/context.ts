import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { BridgeError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import type { Mapping } from "../mapping/types.js";
import type { ProfileAttribute, Segment } from "../snapshot/schemas.js";
import type { Snapshot } from "../snapshot/snapshot.js";
import type { PlanOutputs, PhaseWriter } from "./outputs.js";
import type { Progress } from "./progress.js";
import type { MappingRules } from "./rules.js";
import type { PhaseCounts } from "./types.js";

/** What phases learn and later phases use. */
export interface PlanState {
  /** Owner e-mail by folded e-mail, name or extId of the panel user (owners.csv). */
  owners: Map<string, string>;
  /** Company external ID by folded company id and by folded company name (companies.csv). */
  companies: Map<string, string>;
  /** Categories that contact values create (array attributes mapped to tags): xml_id → name. */
  valueTags: Map<string, string>;
  /** Odoo language codes that contacts use; the schema phase activates them. */
  languages: Set<string>;
  /** Segment ids and tag names that membership files refer to. */
  membershipSegments: Set<string>;
  membershipTags: Set<string>;
  /** Membership and device rows: how many were read and how many could not be linked. */
  links: Record<string, { read: number; linked: number; quarantined: number }>;
  /** File with the extId of every planned contact, one JSON string per line, in key order. */
  contactExtIdsFile?: string;
}

export interface PlanContext {
  snapshot: Snapshot;
  mapping: Mapping;
  rules: MappingRules;
  attributes: ProfileAttribute[];
  segments: Segment[];
  outputs: PlanOutputs;
  logger: Logger;
  progress: Progress;
  state: PlanState;
  /** Folder for scratch files (staging database), removed when the plan ends. */
  workDir: string;
  /** Worker threads that build contacts: a number, or "auto" (see contactWorkerCount). */
  workers?: number | "auto";
}

/**
 * A producer writes one phase's rows. Phases are produced in an order that respects `after`
 * (a producer that needs what another phase learns lists it there); `plan/manifest.json`
 * always lists phases in import order.
 */
export interface PhaseProducer {
  name: string;
  after?: string[];
  produce(context: PlanContext, writer: PhaseWriter): Promise<PhaseCounts>;
}

/**
 * extIds of the contacts the contacts phase planned (anonymous contacts have none). Only
 * producers that run after `contacts` can read them.
 */
export async function* plannedContactExtIds(state: PlanState): AsyncGenerator<string> {
  if (!state.contactExtIdsFile) {
    throw new BridgeError(
      "contact extIds are read before the contacts phase ran; list contacts in `after`",
    );
  }
  const lines = createInterface({
    input: createReadStream(state.contactExtIdsFile, "utf8"),
    crlfDelay: Infinity,
  });
  for await (const line of lines) {
    if (line) {
      yield JSON.parse(line) as string;
    }
  }
}

export function emptyState(): PlanState {
  return {
    owners: new Map(),
    companies: new Map(),
    valueTags: new Map(),
    languages: new Set(),
    membershipSegments: new Set(),
    membershipTags: new Set(),
    links: {},
  };
}
