import { xmlIdFor } from "../core/xml-id.js";
import { normalizeCountry } from "../normalize/country.js";
import { normalizeEmail } from "../normalize/email.js";
import { normalizePhone } from "../normalize/phone.js";
import type { Normalized } from "../normalize/result.js";
import { foldKey } from "../normalize/text.js";
import { openSnapshotTable, topLevelTable } from "../snapshot/snapshot.js";
import { checkHiddenCharacters } from "../normalize/hidden-chars.js";
import type { PhaseProducer, PlanContext } from "./context.js";
import { countSkip, emptyCounts } from "./types.js";

/** A bare domain becomes an https URL; a value that already has a scheme is kept. */
export function websiteFromDomain(domain: string): string {
  const trimmed = domain.trim();
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)
    ? trimmed
    : `https://${trimmed.replace(/^\/+/, "")}`;
}

/**
 * companies.csv → `companies` rows (res.partner with is_company). The key is the company id
 * when the file has one, else the name; contacts link to a company by either.
 */
export const companiesPhase: PhaseProducer = {
  name: "companies",
  async produce(context, writer) {
    const counts = emptyCounts("companies");
    const file = topLevelTable(context.snapshot, "companies");
    if (!file) {
      return counts;
    }
    const table = await openSnapshotTable(context.snapshot, file, "companies");
    const at = (meaning: string) => table.matched.meanings.indexOf(meaning);
    const header = (meaning: string) => table.headers[at(meaning)] ?? meaning;
    const seen = new Set<string>();
    for await (const row of table.rows()) {
      counts.read += 1;
      const cell = (meaning: string) => {
        const index = at(meaning);
        return index >= 0 ? row.cells[index]?.trim() : undefined;
      };
      if (row.problem) {
        counts.quarantined += 1;
        await context.outputs.quarantine({
          file,
          line: row.line,
          column: "",
          value: "",
          reason: `row rejected: ${row.problem}`,
        });
        continue;
      }
      const name = cell("name");
      if (!name) {
        counts.quarantined += 1;
        await context.outputs.quarantine({
          file,
          line: row.line,
          column: header("name"),
          value: "",
          reason: "row rejected: a company needs a name",
        });
        continue;
      }
      if (checkHiddenCharacters(name).text.trim() === "") {
        counts.quarantined += 1;
        await context.outputs.quarantine({
          file,
          line: row.line,
          column: header("name"),
          value: name,
          reason:
            "row rejected: the company name contains only control characters, which Odoo's XML-RPC cannot carry",
        });
        continue;
      }
      const companyId = cell("companyId");
      const key = companyId ?? name;
      if (seen.has(key)) {
        countSkip(counts, "company listed twice");
        continue;
      }
      seen.add(key);
      const xmlId = xmlIdFor("company", key);
      context.state.companies.set(foldKey(name), xmlId);
      if (companyId) {
        context.state.companies.set(foldKey(companyId), xmlId);
      }
      const values: Record<string, unknown> = {
        name: await withoutControlCharacters(context, name, xmlId, `${file} line ${row.line}`),
        is_company: true,
      };
      const optional: [string, string, (raw: string) => Normalized<unknown>][] = [
        ["domain", "website", (raw) => ({ ok: true, value: websiteFromDomain(raw) })],
        ["email", "email", normalizeEmail],
        [
          "phone",
          "phone",
          (raw) => {
            const phone = normalizePhone(raw);
            return phone.ok ? { ok: true, value: phone.value.e164 } : phone;
          },
        ],
        [
          "country",
          "country_id",
          (raw) => {
            const country = normalizeCountry(raw);
            return country.ok ? { ok: true, value: { code: country.value } } : country;
          },
        ],
        ["city", "city", (raw) => ({ ok: true, value: raw })],
        ["vat", "vat", (raw) => ({ ok: true, value: raw })],
      ];
      const place = `${file} line ${row.line}`;
      for (const [meaning, field, convert] of optional) {
        const raw = cell(meaning);
        if (!raw) {
          continue;
        }
        const converted = convert(raw);
        if (converted.ok) {
          values[field] =
            typeof converted.value === "string"
              ? await withoutControlCharacters(context, converted.value, xmlId, place)
              : converted.value;
        } else {
          await context.outputs.quarantine({
            file,
            line: row.line,
            column: header(meaning),
            value: raw,
            reason: `value dropped: ${converted.reason}; the company is planned without it`,
          });
        }
      }
      await writer.write({ xml_id: xmlId, values, source: { file, line: row.line } });
      counts.planned += 1;
    }
    return counts;
  },
};

/**
 * Remove the control characters XML-RPC cannot carry from a company value, with a flag that
 * names the place (see normalize/hidden-chars.ts).
 */
async function withoutControlCharacters(
  context: PlanContext,
  text: string,
  xmlId: string,
  place: string,
): Promise<string> {
  const checked = checkHiddenCharacters(text);
  if (!checked.removed) {
    return text;
  }
  await context.outputs.flag({
    xml_id: xmlId,
    extid: "",
    flag: "control_characters",
    detail: `removed ${checked.removed} (${place}), which Odoo's XML-RPC cannot carry`,
  });
  return checked.text.trim();
}
