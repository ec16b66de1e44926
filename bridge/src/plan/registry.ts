import { BridgeError } from "../core/errors.js";
import { campaignsPhase, historyPhase } from "../history/plan-producers.js";
import type { PhaseProducer } from "./context.js";
import { companiesPhase } from "./phase-companies.js";
import { contactsPhase } from "./phase-contacts.js";
import { ownersPhase } from "./phase-owners.js";
import { schemaPhase } from "./phase-schema.js";
import { stagesPhase, tagsPhase } from "./phase-segments.js";
import { PHASE_ORDER } from "./types.js";

/**
 * Producers that `plan` runs by default. Another phase (campaigns, history) joins by adding its
 * producer here; the import order comes from PHASE_ORDER, the production order from `after`.
 */
export const DEFAULT_PRODUCERS: PhaseProducer[] = [
  schemaPhase,
  tagsPhase,
  stagesPhase,
  ownersPhase,
  companiesPhase,
  contactsPhase,
  campaignsPhase,
  historyPhase,
];

/** Producers in an order where each runs after the phases it lists in `after`. */
export function productionOrder(producers: PhaseProducer[]): PhaseProducer[] {
  const byName = new Map(producers.map((producer) => [producer.name, producer]));
  const ordered: PhaseProducer[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (producer: PhaseProducer) => {
    const seen = state.get(producer.name);
    if (seen === "done") {
      return;
    }
    if (seen === "visiting") {
      throw new BridgeError(`plan phases depend on each other in a cycle through ${producer.name}`);
    }
    state.set(producer.name, "visiting");
    for (const name of producer.after ?? []) {
      const dependency = byName.get(name);
      if (dependency) {
        visit(dependency);
      }
    }
    state.set(producer.name, "done");
    ordered.push(producer);
  };
  const importRank = (name: string) => {
    const rank = (PHASE_ORDER as readonly string[]).indexOf(name);
    return rank < 0 ? PHASE_ORDER.length : rank;
  };
  for (const producer of [...producers].sort((a, b) => importRank(a.name) - importRank(b.name))) {
    visit(producer);
  }
  return ordered;
}

/** Phase names in import order: the known order first, then any others by name. */
export function importOrder(names: string[]): string[] {
  const rank = (name: string) => {
    const index = (PHASE_ORDER as readonly string[]).indexOf(name);
    return index < 0 ? PHASE_ORDER.length : index;
  };
  return [...names].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}
