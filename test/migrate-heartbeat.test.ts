import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { RunHeartbeat } from "../bridge/src/migrate/heartbeat.js";
import { OdooClient } from "../bridge/src/odoo/client.js";
import { defaultReply, startFakeOdoo, type FakeOdoo } from "./support/fake-odoo.js";

/**
 * Timing of the heartbeat calls only; that Odoo stores them and counts a run without them as
 * interrupted is tested against a real Odoo in migrate-interrupted.test.ts.
 */

let fake: FakeOdoo | undefined;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const heartbeats = () => fake!.calls.filter((call) => call.kwMethod === "heartbeat");

function clientFor(url: string): OdooClient {
  return new OdooClient({ url, db: "crm", login: "admin", password: "x", logger: silentLogger });
}

describe("run heartbeat", () => {
  it("beats at start, then every interval, on the run", async () => {
    fake = await startFakeOdoo(
      (call) => defaultReply(call) ?? { result: { state: "running", lease_seconds: 120 } },
    );
    const client = clientFor(fake.url);
    const heartbeat = new RunHeartbeat(client, 42, silentLogger, 100);

    await heartbeat.start();
    expect(heartbeats()).toHaveLength(1);
    await sleep(500);
    await heartbeat.stop();
    const count = heartbeats().length;
    await sleep(250);

    expect(count).toBeGreaterThanOrEqual(3);
    expect(count).toBeLessThanOrEqual(6);
    expect(heartbeats()).toHaveLength(count);
    expect(heartbeats()[0]!.model).toBe("netmera.migration.run");
    expect(heartbeats()[0]!.args).toEqual([[42]]);
    client.close();
  });

  it("sends no second beat while one waits for Odoo", async () => {
    fake = await startFakeOdoo(
      (call) =>
        defaultReply(call) ?? {
          delayMs: call.kwMethod === "heartbeat" && fake!.calls.length > 3 ? 400 : 0,
          then: { result: { state: "running", lease_seconds: 120 } },
        },
    );
    const client = clientFor(fake.url);
    const heartbeat = new RunHeartbeat(client, 7, silentLogger, 50);

    await heartbeat.start();
    await sleep(300);

    expect(fake.maxInFlight).toBe(1);
    await heartbeat.stop();
    client.close();
  });

  it("keeps going when a beat fails", async () => {
    let failures = 0;
    fake = await startFakeOdoo((call) => {
      if (defaultReply(call)) return defaultReply(call)!;
      failures += 1;
      return failures <= 2
        ? { fault: { faultCode: 1, faultString: "psycopg2.OperationalError: boom" } }
        : { result: { state: "running", lease_seconds: 120 } };
    });
    const client = clientFor(fake.url);
    const heartbeat = new RunHeartbeat(client, 7, silentLogger, 50);

    await expect(heartbeat.start()).resolves.toBeUndefined();
    await sleep(200);
    await heartbeat.stop();

    expect(heartbeats().length).toBeGreaterThanOrEqual(3);
    client.close();
  });
});
