import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { findMissingContacts } from "../bridge/src/migrate/missing-contacts.js";
import { PHASES } from "../bridge/src/migrate/phases.js";
import { OdooClient } from "../bridge/src/odoo/client.js";
import { planRowLine } from "../bridge/src/plan/outputs.js";
import { defaultReply, startFakeOdoo, type FakeOdoo } from "./support/fake-odoo.js";

const dir = mkdtempSync(join(tmpdir(), "migrate-missing-contacts-"));
let fake: FakeOdoo | undefined;
afterAll(async () => {
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("contacts missing from the plan", () => {
  it("stops when binding ids do not grow", async () => {
    // A server that returns the same page whatever id the request starts after.
    fake = await startFakeOdoo(async (call) => {
      const known = defaultReply(call);
      if (known) return known;
      if (call.model === "netmera.migration.binding") {
        return { result: [{ id: 7, xml_id: "netmera_user_gone", res_id: 70 }] };
      }
      return { result: [{ id: 70, name: "Gone" }] };
    });
    const path = join(dir, "contacts.ndjson");
    writeFileSync(path, planRowLine({ xml_id: "netmera_user_kept", values: { name: "Kept" } }));
    const contacts = {
      definition: PHASES.find((phase) => phase.name === "contacts")!,
      path,
      file: "plan/contacts.ndjson",
      rows: 1,
    };
    const client = new OdooClient({
      url: fake.url,
      db: "crm",
      login: "admin",
      password: "admin",
      logger: silentLogger,
    });

    await expect(
      findMissingContacts(client, contacts, join(dir, "missing.csv"), silentLogger),
    ).rejects.toThrow(
      "netmera.migration.binding search_read returned ids that do not follow id 7; the addon's " +
        "bindings cannot be read in pages, so contacts missing from the snapshot were not listed",
    );
    client.close();
  });
});
