import { afterAll, beforeAll, expect, it } from "vitest";
import { describeOdoo, startOdoo, type OdooServer } from "./support/odoo.js";

describeOdoo("real Odoo test server", () => {
  let odoo: OdooServer;

  beforeAll(async () => {
    odoo = await startOdoo({ prefix: "support" });
  });

  afterAll(async () => {
    await odoo?.stop();
  });

  it("serves Odoo 18 on its own database", async () => {
    const response = await fetch(`${odoo.url}/web/webclient/version_info`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", method: "call", params: {} }),
    });
    const body = (await response.json()) as { result: { server_version_info: unknown[] } };
    expect(body.result.server_version_info[0]).toBe(18);
    expect(odoo.db).toMatch(/^support_[0-9a-f]{8}$/);
  });
});
