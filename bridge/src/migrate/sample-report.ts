import { XML_ID_MODULE } from "../core/xml-id.js";
import type { OdooClient } from "../odoo/client.js";
import type { PhaseReconciliation } from "./reconciliation.js";
import type { SampleSelection } from "./sample.js";
import type { RunRecord } from "./run-record.js";

/**
 * Report of a sample run: the records written and where to find them in Odoo, so that a person
 * can judge the sample before keeping it or rolling it back.
 */

interface ContactLine {
  xmlId: string;
  odooId: number | undefined;
  name: string;
}

/** Contacts listed by Odoo id; more than this are summarised with a count. */
const LISTED_CONTACTS = 50;

export async function buildSampleReport(
  client: OdooClient,
  run: RunRecord,
  selection: SampleSelection,
  rows: PhaseReconciliation[],
): Promise<string> {
  const contactIds = [...(selection.get("contacts") ?? [])].slice(0, LISTED_CONTACTS);
  const contacts = await lookUpContacts(client, contactIds);
  const written = rows
    .filter((row) => row.read > 0)
    .map(
      (row) =>
        `${row.read} ${row.name} (${row.created} created, ${row.updated} updated, ${row.unchanged} unchanged)`,
    )
    .join(", ");

  const lines = [
    `Sample run ${run.id} ("${run.name}") wrote: ${written || "nothing"}.`,
    "",
    "Sampled contacts (Odoo id, name, link):",
    ...contacts.map(
      (contact) =>
        `  ${String(contact.odooId ?? "-").padStart(6)}  ${contact.name.padEnd(30)}  ` +
        (contact.odooId
          ? `${client.url}/web#id=${contact.odooId}&model=res.partner&view_type=form`
          : `not in Odoo (${contact.xmlId})`),
    ),
  ];
  const more = (selection.get("contacts")?.size ?? 0) - contactIds.length;
  if (more > 0) lines.push(`  … and ${more} more`);

  lines.push(
    "",
    "Where to look in Odoo: Contacts (each sampled contact carries its Netmera extId), and",
    `Netmera Migration › Runs › "${run.name}" for the ledger of every record written.`,
    "Keep it: run migrate without --sample; records already written are recognised by external",
    "ID and content hash and are not written twice.",
    `Undo it: netmera-odoo rollback --run ${run.id} (or the Rollback button on the run).`,
  );
  return lines.join("\n");
}

async function lookUpContacts(client: OdooClient, xmlIds: string[]): Promise<ContactLine[]> {
  if (xmlIds.length === 0) return [];

  const data = await client.executeKw<{ name: string; res_id: number }[]>(
    "ir.model.data",
    "search_read",
    [
      [
        ["module", "=", XML_ID_MODULE],
        ["model", "=", "res.partner"],
        ["name", "in", xmlIds],
      ],
    ],
    { fields: ["name", "res_id"] },
  );
  const idByXmlId = new Map(data.map((entry) => [entry.name, entry.res_id]));
  const partners = await client.executeKw<{ id: number; name: string | false }[]>(
    "res.partner",
    "read",
    [[...idByXmlId.values()]],
    { fields: ["name"] },
  );
  const nameById = new Map(partners.map((partner) => [partner.id, partner.name || ""]));
  return xmlIds.map((xmlId) => {
    const odooId = idByXmlId.get(xmlId);
    return { xmlId, odooId, name: odooId ? (nameById.get(odooId) ?? "") : "" };
  });
}
