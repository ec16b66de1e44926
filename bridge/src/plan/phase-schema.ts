import { xmlIdFor } from "../core/xml-id.js";
import type { PhaseProducer } from "./context.js";
import { countSkip, emptyCounts } from "./types.js";

/** Field types the addon can create as manual `x_` fields on res.partner. */
const CREATABLE_TYPES = new Set([
  "char",
  "text",
  "html",
  "integer",
  "float",
  "boolean",
  "date",
  "datetime",
  "selection",
]);

/**
 * Custom fields the mapping creates and the languages contacts use → `schema` rows. Runs after
 * contacts, which collect the languages; it is still imported first.
 */
export const schemaPhase: PhaseProducer = {
  name: "schema",
  after: ["contacts"],
  async produce(context, writer) {
    const counts = emptyCounts("schema");
    const seen = new Set<string>();
    const entries = context.rules.customFieldEntries();
    for (const entry of entries) {
      counts.read += 1;
      const index = context.mapping.entries.indexOf(entry);
      const name = entry.target.field ?? "";
      const problem = !/^x_[a-z0-9_]+$/.test(name)
        ? "is not a custom field name (x_ followed by lower-case letters, digits and _)"
        : !entry.target.type || !CREATABLE_TYPES.has(entry.target.type)
          ? `has type ${entry.target.type ?? "none"}, which cannot be created as a custom field`
          : entry.target.type === "selection" && !entry.target.selection?.length
            ? "is a selection field without selection values"
            : undefined;
      if (problem) {
        counts.quarantined += 1;
        await context.outputs.quarantine({
          file: "mapping.json",
          line: index + 1,
          column: "target.field",
          value: name,
          reason: `row rejected: entry ${index + 1} (${entry.source.kind} ${entry.source.name}) ${problem}`,
        });
        continue;
      }
      if (seen.has(name)) {
        countSkip(counts, "an earlier mapping entry creates the same field");
        continue;
      }
      seen.add(name);
      const values: Record<string, unknown> = {
        kind: "field",
        name,
        ttype: entry.target.type,
        field_description: entry.source.label ?? entry.source.name,
      };
      if (entry.target.type === "selection") {
        values.selection = entry.target.selection;
      }
      await writer.write({ xml_id: xmlIdFor("field", name), values });
      counts.planned += 1;
    }
    for (const code of [...context.state.languages].sort()) {
      counts.read += 1;
      await writer.write({ values: { kind: "lang", code } });
      counts.planned += 1;
    }
    return counts;
  },
};
