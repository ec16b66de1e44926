import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { BridgeError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import type { OdooClient } from "../odoo/client.js";
import { csvLine } from "../plan/outputs.js";
import { readPlanLines, type PlannedPhase } from "./plan-files.js";

/** Contacts that earlier runs wrote and this plan no longer has. */
export interface MissingContacts {
  count: number;
  /** CSV file listing them (external ID, Odoo id, name); written only when count > 0. */
  file: string;
}

/** Bindings read per call; paging goes by id, so each page costs the same. */
const PAGE = 5000;

/**
 * Find the contacts that the migration wrote in earlier runs but that the plan's contacts phase
 * no longer lists: users deleted or anonymised in Netmera since then. They stay in Odoo as they
 * are, so the list lets a person archive or erase them. The plan's external IDs go into a
 * SQLite file, so memory does not grow with the number of contacts.
 */
export async function findMissingContacts(
  client: OdooClient,
  contacts: PlannedPhase,
  file: string,
  logger: Logger,
): Promise<MissingContacts> {
  const dir = mkdtempSync(join(tmpdir(), "netmera-missing-"));
  const db = new Database(join(dir, "plan-ids.sqlite"));
  try {
    db.pragma("journal_mode = OFF");
    db.pragma("synchronous = OFF");
    db.exec("CREATE TABLE planned (xml_id TEXT PRIMARY KEY) WITHOUT ROWID");
    const insert = db.prepare("INSERT OR IGNORE INTO planned (xml_id) VALUES (?)");
    db.exec("BEGIN");
    for await (const { row } of readPlanLines(contacts.path, contacts.file)) {
      if (row.xml_id) insert.run(row.xml_id);
    }
    db.exec("COMMIT");
    const planned = db.prepare("SELECT 1 FROM planned WHERE xml_id = ?").pluck();

    let count = 0;
    let out: ReturnType<typeof createWriteStream> | undefined;
    let after = 0;
    for (;;) {
      const bindings = await client.executeKw<{ id: number; xml_id: string; res_id: number }[]>(
        "netmera.migration.binding",
        "search_read",
        [
          [
            ["phase", "=", "contacts"],
            ["model", "=", "res.partner"],
            ["id", ">", after],
          ],
        ],
        { fields: ["xml_id", "res_id"], order: "id", limit: PAGE },
      );
      if (bindings.length === 0) break;
      const last = bindings[bindings.length - 1]!.id;
      if (!(typeof last === "number" && last > after)) {
        // Paging by id needs ids that grow; anything else would read the same page forever.
        throw new BridgeError(
          `netmera.migration.binding search_read returned ids that do not follow id ${after}; ` +
            "the addon's bindings cannot be read in pages, so contacts missing from the snapshot " +
            "were not listed",
        );
      }
      after = last;

      const unplanned = bindings.filter((binding) => planned.get(binding.xml_id) === undefined);
      if (unplanned.length === 0) continue;
      // Only contacts that still exist and are active count: people may have archived or
      // deleted some already.
      const partners = await client.executeKw<{ id: number; name: string }[]>(
        "res.partner",
        "search_read",
        [[["id", "in", unplanned.map((binding) => binding.res_id)]]],
        { fields: ["name"] },
      );
      const names = new Map(partners.map((partner) => [partner.id, partner.name]));
      for (const binding of unplanned) {
        const name = names.get(binding.res_id);
        if (name === undefined) continue;
        if (!out) {
          out = createWriteStream(file);
          out.write(csvLine(["xml_id", "odoo_id", "name"]));
        }
        if (!out.write(csvLine([binding.xml_id, String(binding.res_id), name]))) {
          await once(out, "drain");
        }
        count += 1;
      }
    }
    if (out) {
      out.end();
      await once(out, "close");
    }
    logger.info({ count, file }, "contacts written by earlier runs and missing from the plan");
    return { count, file };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
