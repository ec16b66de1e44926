import { xmlIdFor } from "../core/xml-id.js";
import { normalizeEmail } from "../normalize/email.js";
import { foldKey } from "../normalize/text.js";
import { openSnapshotTable, topLevelTable } from "../snapshot/snapshot.js";
import type { PhaseProducer } from "./context.js";
import { countSkip, emptyCounts } from "./types.js";

/**
 * owners.csv → `owners` rows `{xml_id, values: {email, name}}`. Odoo matches each by e-mail to
 * a user or queues it for an administrator; contacts refer to owners by e-mail.
 */
export const ownersPhase: PhaseProducer = {
  name: "owners",
  async produce(context, writer) {
    const counts = emptyCounts("owners");
    const file = topLevelTable(context.snapshot, "owners");
    if (!file) {
      return counts;
    }
    const table = await openSnapshotTable(context.snapshot, file, "owners");
    const at = (meaning: string) => table.matched.meanings.indexOf(meaning);
    const columns = {
      name: at("name"),
      surname: at("surname"),
      email: at("email"),
      extId: at("extId"),
    };
    const emailHeader = table.headers[columns.email] ?? "email";
    const seen = new Set<string>();
    for await (const row of table.rows()) {
      counts.read += 1;
      const cell = (index: number) => (index >= 0 ? row.cells[index]?.trim() : undefined);
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
      const raw = cell(columns.email);
      const email = raw ? normalizeEmail(raw) : undefined;
      if (!email?.ok) {
        counts.quarantined += 1;
        await context.outputs.quarantine({
          file,
          line: row.line,
          column: emailHeader,
          value: raw ?? "",
          reason: `row rejected: an owner needs an e-mail address to be matched to an Odoo user${email ? ` (the value ${email.reason})` : ""}`,
        });
        continue;
      }
      const key = email.value.toLowerCase();
      if (seen.has(key)) {
        countSkip(counts, "owner e-mail listed twice");
        continue;
      }
      seen.add(key);
      const name =
        [cell(columns.name), cell(columns.surname)].filter(Boolean).join(" ") || email.value;
      context.state.owners.set(key, email.value);
      // An e-mail upper-cased in a Turkish locale ("İLKER@…") lower-cases to a dotted i.
      context.state.owners.set(foldKey(key), email.value);
      context.state.owners.set(foldKey(name), email.value);
      const extId = cell(columns.extId);
      if (extId) {
        context.state.owners.set(foldKey(extId), email.value);
      }
      await writer.write({
        xml_id: xmlIdFor("owner", key),
        values: { email: email.value, name },
        source: { file, line: row.line },
      });
      counts.planned += 1;
    }
    return counts;
  },
};
