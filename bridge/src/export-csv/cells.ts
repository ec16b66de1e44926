import { XML_ID_MODULE } from "../core/xml-id.js";
import type { CellKind } from "./neutralise.js";

/** One CSV cell before neutralisation, with the kind that decides how it is neutralised. */
export interface Cell {
  text: string;
  kind: CellKind;
}

/** A field the package needs that a plain Odoo lacks, so the guide lists it for the user to create. */
export interface ExtraField {
  name: string;
  ttype: "char" | "boolean" | "integer" | "float";
  description: string;
}

export interface ConvertContext {
  /** Stage external ID → stage name, for the segment stage written as text. */
  stageNames: Map<string, string>;
  /** Fields replaced by `x_netmera_*` fields, collected for the guide. */
  extraFields: Map<string, ExtraField>;
  /** Fields left out because a CSV import cannot set them, with counts. */
  dropped: Map<string, number>;
}

const PHONE_FIELDS = new Set(["phone", "mobile"]);

/** Odoo's base module names every country `base.<code>` except the United Kingdom (`base.uk`). */
export function countryXmlId(code: string): string {
  const lower = code.toLowerCase();
  return `base.${lower === "gb" ? "uk" : lower}`;
}

function importXmlId(name: string): string {
  return `${XML_ID_MODULE}.${name}`;
}

function scalarCell(field: string, value: string | number | boolean): Cell {
  if (typeof value === "boolean") {
    return { text: value ? "True" : "False", kind: "text" };
  }
  if (typeof value === "number") {
    return { text: String(value), kind: "number" };
  }
  return { text: value, kind: PHONE_FIELDS.has(field) ? "phone" : "text" };
}

function extraType(value: unknown): ExtraField["ttype"] {
  if (typeof value === "boolean") {
    return "boolean";
  }
  if (typeof value === "number") {
    return Number.isInteger(value) ? "integer" : "float";
  }
  return "char";
}

const ACRONYMS = new Set(["id", "os"]);

/** `netmera_device_model` → `Netmera Device Model`, `netmera_os` → `Netmera OS`. */
function describe(field: string): string {
  return field
    .replace(/^x_/, "")
    .split("_")
    .map((word) =>
      ACRONYMS.has(word) ? word.toUpperCase() : word.charAt(0).toUpperCase() + word.slice(1),
    )
    .join(" ");
}

function drop(context: ConvertContext, field: string): void {
  context.dropped.set(field, (context.dropped.get(field) ?? 0) + 1);
}

/**
 * Convert one plan row's `values` into import columns. Relations become `<field>/id` columns
 * with external IDs (`__import__.…`, `base.tr`). The addon's `netmera_*` fields become
 * `x_netmera_*` fields, because an Odoo without API access usually cannot install the addon
 * either. The salesperson (`owner_email`) goes to its own file, so it is returned separately.
 */
export function convertValues(
  values: Record<string, unknown>,
  context: ConvertContext,
): { cells: Map<string, Cell>; ownerEmail?: string } {
  const cells = new Map<string, Cell>();
  let ownerEmail: string | undefined;
  for (const [field, value] of Object.entries(values)) {
    if (value === null || value === undefined) {
      continue;
    }

    if (typeof value !== "object") {
      const scalar = value as string | number | boolean;
      if (field.startsWith("netmera_")) {
        const name = `x_${field}`;
        context.extraFields.set(name, {
          name,
          ttype: extraType(scalar),
          description: describe(field),
        });
        cells.set(name, scalarCell(name, scalar));
      } else {
        cells.set(field, scalarCell(field, scalar));
      }
      continue;
    }

    const relation = value as Record<string, unknown>;
    if (field === "netmera_segment_stage_id" && typeof relation.xml_id === "string") {
      const name = "x_netmera_segment_stage";
      context.extraFields.set(name, { name, ttype: "char", description: "Netmera Segment Stage" });
      cells.set(name, { text: context.stageNames.get(relation.xml_id) ?? "", kind: "text" });
    } else if (typeof relation.xml_id === "string") {
      cells.set(`${field}/id`, { text: importXmlId(relation.xml_id), kind: "text" });
    } else if (Array.isArray(relation.xml_ids)) {
      const ids = relation.xml_ids.filter((id): id is string => typeof id === "string");
      cells.set(`${field}/id`, { text: ids.map(importXmlId).join(","), kind: "text" });
    } else if (typeof relation.code === "string") {
      cells.set(`${field}/id`, { text: countryXmlId(relation.code), kind: "text" });
    } else if (typeof relation.owner_email === "string") {
      ownerEmail = relation.owner_email.trim().toLowerCase();
    } else {
      drop(context, field);
    }
  }
  return { cells, ...(ownerEmail ? { ownerEmail } : {}) };
}
