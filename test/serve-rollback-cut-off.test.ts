import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { rollbackRun } from "../bridge/src/migrate/run-actions.js";
import { SERVE_SETTING_NAMES } from "../bridge/src/odoo/setting-names.js";
import { defaultReply, startFakeOdoo, type FakeOdoo } from "./support/fake-odoo.js";

/**
 * A rollback job whose call to Odoo times out. Its message must point an HTTP caller at the
 * rollback route, not at the command line. The fake Odoo only provides the timeout.
 */

let fake: FakeOdoo | undefined;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe("rollback job cut off", () => {
  it("names the rollback route", async () => {
    fake = await startFakeOdoo((call) => {
      const known = defaultReply(call);
      if (known) return known;
      switch (call.kwMethod) {
        case "search_read":
          return { result: [{ state: "installed" }] };
        case "check_access_rights":
          return { result: true };
        case "addon_version":
          return { result: "18.0.1.1.0" };
        case "read":
          return { result: [{ id: 4, name: "serve A", state: "done" }] };
        case "rollback":
          return { delayMs: 2000, then: { result: { deleted: 0, restored: 0 } } };
        default:
          return { result: true };
      }
    });
    const connection = {
      url: fake.url,
      db: "oside_fake",
      login: "admin",
      password: "admin",
      names: SERVE_SETTING_NAMES,
    };

    const failure = await rollbackRun(connection, silentLogger, 4, {
      force: true,
      timeoutMs: 300,
    }).then(
      () => undefined,
      (error: unknown) => error as Error,
    );

    expect(failure?.message).toContain(
      "Run 4 is still done in Odoo, and Odoo may still be rolling it back: the run turns " +
        "rolled_back when it commits. Check the run in Odoo in a while; if it is still done " +
        "then, run a rollback job again from the Rollback button on the run or with POST " +
        '/runs/4/rollback and the body {"force": true} (while the first rollback works, a ' +
        "second one is refused).",
    );
    expect(failure?.message).not.toContain("netmera-odoo");
  });
});
