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

  const twins = await findExistingTwins(client, contacts);
  if (twins.length > 0) {
    lines.push(
      "",
      "Possible duplicates: these sampled contacts share an e-mail with a contact that was in",
      "Odoo before the migration. migrate matches records only by external ID, so both are",
      "kept; merge them in Odoo (Contacts › Action › Merge) or remove one before the full run:",
      ...twins.map(
        ({ sampled, existing }) =>
          `  ${sampled.name} (id ${sampled.id}) and ${existing.name} (id ${existing.id}), ` +
          `${existing.email}`,
      ),
    );
  }

  lines.push(
    "",
    "Where to look in Odoo: Contacts (each sampled contact carries its Netmera extId), and",
    `Netmera Migration › Runs › "${run.name}" for the ledger of every record written.`,
    `Keep it: ${client.names.keepSample}; records already written are recognised by external`,
    "ID and content hash and are not written twice.",
    ...(client.names.surface === "serve"
      ? [`Undo it: the Rollback button on the run, or POST /runs/${run.id}/rollback.`]
      : [
          `Undo it: the Rollback button on the run, or netmera-odoo rollback --run ${run.id} ` +
            `--odoo-url ${client.url} --db ${client.db} --user ${client.login}`,
          "(the password in ODOO_PASSWORD, as for migrate).",
        ]),
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

interface PartnerEmail {
  id: number;
  name: string | false;
  email: string | false;
}

/**
 * Contacts of the sample whose e-mail an Odoo contact that the migration did not write already
 * has, case-insensitively: the likely duplicates of a migration into an Odoo in use.
 */
async function findExistingTwins(
  client: OdooClient,
  contacts: ContactLine[],
): Promise<{ sampled: { id: number; name: string }; existing: PartnerEmail }[]> {
  const ids = contacts.flatMap((contact) => (contact.odooId ? [contact.odooId] : []));
  if (ids.length === 0) return [];
  const sampled = await client.executeKw<PartnerEmail[]>("res.partner", "read", [ids], {
    fields: ["name", "email"],
  });
  const byEmail = new Map<string, PartnerEmail>();
  for (const partner of sampled) {
    if (typeof partner.email === "string" && partner.email.trim()) {
      byEmail.set(partner.email.trim().toLowerCase(), partner);
    }
  }
  if (byEmail.size === 0) return [];

  const emails = [...byEmail.keys()];
  const anyEmail = [
    ...Array<string>(emails.length - 1).fill("|"),
    ...emails.map((email) => ["email", "=ilike", email]),
  ];
  const existing = await client.executeKw<PartnerEmail[]>(
    "res.partner",
    "search_read",
    [
      [
        ["netmera_external_id", "=", false],
        ["netmera_needs_enrichment", "=", false],
        ["id", "not in", ids],
        ...anyEmail,
      ],
    ],
    { fields: ["name", "email"], limit: 100, context: { active_test: false } },
  );
  return existing.flatMap((partner) => {
    const twin =
      typeof partner.email === "string"
        ? byEmail.get(partner.email.trim().toLowerCase())
        : undefined;
    return twin ? [{ sampled: { id: twin.id, name: twin.name || "" }, existing: partner }] : [];
  });
}
