import { ConfigError } from "../core/errors.js";
import type { Mapping } from "../mapping/types.js";
import type { OdooClient } from "./client.js";

/**
 * Check that every field the mapping writes into an existing Odoo field exists on its model,
 * before the run writes anything. Without the check, Odoo rejects every row that carries such
 * a value, one at a time, after the run has started.
 */
export async function checkMappingTargets(
  client: OdooClient,
  mapping: Pick<Mapping, "entries">,
): Promise<void> {
  const wanted = new Map<string, { field: string; entry: string }[]>();
  for (const entry of mapping.entries) {
    const { model, field, action } = entry.target;
    if (action !== "existing" || !field || !model) continue;
    const list = wanted.get(model) ?? [];
    list.push({ field, entry: `${entry.source.kind} "${entry.source.name}"` });
    wanted.set(model, list);
  }

  const missing: string[] = [];
  for (const [model, targets] of wanted) {
    const fields = await client.executeKw<Record<string, unknown>>(model, "fields_get", [], {
      attributes: ["type"],
    });
    for (const { field, entry } of targets) {
      if (!(field in fields)) missing.push(`${entry} → ${model}.${field}`);
    }
  }
  if (missing.length === 0) return;

  throw new ConfigError(
    `the mapping writes to ${missing.length} field(s) that this Odoo does not have: ` +
      `${missing.slice(0, 10).join("; ")}${missing.length > 10 ? " …" : ""}. Install the ` +
      'module that adds them, or change those entries to action "create" or "skip", then ' +
      "confirm the mapping and run plan again",
  );
}
