import { ConfigError } from "../core/errors.js";
import type { Mapping, OdooFieldType } from "../mapping/types.js";
import type { OdooClient } from "./client.js";

/** Odoo field types that can hold the values plan writes for each mapping type. */
const COMPATIBLE: Record<OdooFieldType, string[]> = {
  char: ["char", "text", "html", "selection"],
  text: ["text", "html", "char"],
  html: ["html", "text"],
  integer: ["integer", "float", "monetary"],
  float: ["float", "monetary"],
  boolean: ["boolean"],
  date: ["date", "datetime"],
  datetime: ["datetime"],
  selection: ["selection", "char"],
  many2one: ["many2one"],
  many2many: ["many2many"],
};

/**
 * Most columns res_partner may have after the run: PostgreSQL allows 1,600 per table and counts
 * dropped columns too, so a table filled near the limit can never take a new field again, even
 * after a rollback drops the run's fields. The margin leaves room for later modules.
 */
export const MAX_PARTNER_COLUMNS = 1000;

interface OdooField {
  type: string;
  store?: boolean;
}

/**
 * Check the mapping against the Odoo it will write to, before the run writes anything: every
 * existing target field exists with a type that takes the planned values, and the fields to
 * create leave res_partner well below PostgreSQL's column limit. Without the check, Odoo
 * rejects every row that carries such a value, one at a time, after the run has started.
 */
export async function checkMappingTargets(
  client: OdooClient,
  mapping: Pick<Mapping, "entries">,
): Promise<void> {
  const targetsByModel = new Map<string, Mapping["entries"]>();
  for (const entry of mapping.entries) {
    const { model, field, action } = entry.target;
    if ((action !== "existing" && action !== "create") || !field || !model) continue;
    targetsByModel.set(model, [...(targetsByModel.get(model) ?? []), entry]);
  }

  const problems: string[] = [];
  let newPartnerColumns = 0;
  let partnerColumns = 0;
  for (const [model, entries] of targetsByModel) {
    const fields = await client.executeKw<Record<string, OdooField>>(model, "fields_get", [], {
      attributes: ["type", "store"],
    });
    if (model === "res.partner") {
      partnerColumns = Object.values(fields).filter(
        (field) => field.store && field.type !== "many2many" && field.type !== "one2many",
      ).length;
    }
    for (const entry of entries) {
      const { field: name, type, action } = entry.target;
      const found = fields[name!];
      const label = `${entry.source.kind} "${entry.source.name}" → ${model}.${name}`;
      if (!found && action === "existing") {
        problems.push(`${label}: Odoo has no such field`);
      } else if (!found && model === "res.partner" && type !== "many2many") {
        newPartnerColumns += 1;
      } else if (found && type && !COMPATIBLE[type].includes(found.type)) {
        problems.push(`${label}: the mapping writes ${type} values, the field is ${found.type}`);
      }
    }
  }

  if (partnerColumns + newPartnerColumns > MAX_PARTNER_COLUMNS) {
    problems.push(
      `the mapping creates ${newPartnerColumns} contact fields, and res.partner already has ` +
        `${partnerColumns} columns: more than ${MAX_PARTNER_COLUMNS} in all would bring the ` +
        "table near PostgreSQL's limit of 1,600 columns, which counts dropped ones, so no field " +
        'could be added to contacts again; set the entries you do not need to "skip"',
    );
  }
  if (problems.length === 0) return;

  throw new ConfigError(
    `the mapping does not fit this Odoo (${problems.length} problem(s)): ` +
      `${problems.slice(0, 10).join("; ")}${problems.length > 10 ? " …" : ""}. Change those ` +
      "entries, confirm the mapping and run plan again",
  );
}
