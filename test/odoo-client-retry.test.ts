import { afterEach, describe, expect, it } from "vitest";
import {
  BridgeError,
  OdooConcurrencyError,
  OdooFaultError,
  OdooUnavailableError,
} from "../bridge/src/core/errors.js";
import { silentLogger } from "../bridge/src/core/log.js";
import { OdooClient, summariseFault } from "../bridge/src/odoo/client.js";
import { backoffDelay, withRetry, type RetryPolicy } from "../bridge/src/odoo/retry.js";
import { XmlRpcEndpointNotFound } from "../bridge/src/odoo/transport.js";
import {
  defaultReply,
  startFakeOdoo,
  type FakeHandler,
  type FakeOdoo,
} from "./support/fake-odoo.js";

const FAST: RetryPolicy = { maxAttempts: 5, baseDelayMs: 5, maxDelayMs: 20 };
const SECRET = "s3cret-Pa55-Ğüş";

let fake: FakeOdoo | undefined;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function clientFor(handler: FakeHandler, options: { timeoutMs?: number } = {}) {
  fake = await startFakeOdoo(async (call) => defaultReply(call) ?? handler(call));
  return new OdooClient({
    url: fake.url,
    db: "crm",
    login: "admin",
    password: SECRET,
    logger: silentLogger,
    retry: FAST,
    timeoutMs: options.timeoutMs,
  });
}

const TRACEBACK =
  "Traceback (most recent call last):\n" +
  '  File "/opt/odoo/src/odoo/service/model.py", line 156, in retrying\n' +
  "    result = func()\n" +
  "ValueError: Invalid field 'x_netmera_loyalty' on model 'res.partner'\n";

describe("backoffDelay", () => {
  const policy: RetryPolicy = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };

  it("doubles the step and keeps half of it fixed", () => {
    expect([1, 2, 3, 4].map((attempt) => backoffDelay(policy, attempt, () => 0))).toEqual([
      50, 100, 200, 400,
    ]);
    expect([1, 2, 3, 4].map((attempt) => backoffDelay(policy, attempt, () => 0.999999))).toEqual([
      100, 200, 400, 800,
    ]);
  });

  it("never waits longer than the cap", () => {
    expect(backoffDelay(policy, 20, () => 0.999999)).toBe(1000);
    expect(backoffDelay(policy, 20, () => 0)).toBe(500);
  });
});

describe("withRetry", () => {
  it("retries retryable errors with the computed delays, then succeeds", async () => {
    const waits: number[] = [];
    let calls = 0;
    const value = await withRetry(
      async () => {
        calls += 1;
        if (calls < 3) throw new OdooUnavailableError("connection refused");
        return "ok";
      },
      { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000 },
      { random: () => 0.5, wait: async (ms) => waits.push(ms) },
    );

    expect(value).toBe("ok");
    expect(calls).toBe(3);
    expect(waits).toEqual([75, 150]);
  });

  it("gives up after maxAttempts with the last error", async () => {
    let calls = 0;
    const failing = withRetry(
      async () => {
        calls += 1;
        throw new OdooUnavailableError(`down ${calls}`);
      },
      { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 1 },
      { wait: async () => {} },
    );

    await expect(failing).rejects.toThrow("down 4");
    expect(calls).toBe(4);
  });

  it("never retries permanent or unknown errors", async () => {
    for (const error of [
      new OdooFaultError("res.partner", "create", "1", "bad value"),
      new BridgeError("plain"),
      new TypeError("bug"),
    ]) {
      let calls = 0;
      await expect(
        withRetry(
          async () => {
            calls += 1;
            throw error;
          },
          FAST,
          { wait: async () => {} },
        ),
      ).rejects.toBe(error);
      expect(calls).toBe(1);
    }
  });
});

describe("summariseFault", () => {
  it("keeps the exception line of a traceback", () => {
    expect(summariseFault(TRACEBACK)).toBe(
      "ValueError: Invalid field 'x_netmera_loyalty' on model 'res.partner'",
    );
  });

  it("keeps list items on their own lines", () => {
    const fault =
      'Run 5 ("A") was not rolled back: people worked on its records.\nFor example:\n' +
      '- res.partner 224 "Ayşe" changed\n- crm.lead 1 refers to it\nCheck these records first.';
    expect(summariseFault(fault)).toBe(
      'Run 5 ("A") was not rolled back: people worked on its records. For example:\n' +
        '- res.partner 224 "Ayşe" changed\n- crm.lead 1 refers to it\nCheck these records first.',
    );
  });

  it("keeps a user error message whole", () => {
    expect(summariseFault("Run 3 is done;\nbatches import only while it is running.")).toBe(
      "Run 3 is done; batches import only while it is running.",
    );
  });
});

describe("OdooClient against a local XML-RPC server", () => {
  it("sends execute_kw with db, uid, password, model, method, args and kwargs", async () => {
    const client = await clientFor(() => ({ result: [7, 8] }));
    const ids = await client.executeKw("res.partner", "search", [[["name", "=", "Ayşe"]]], {
      limit: 2,
    });

    expect(ids).toEqual([7, 8]);
    const call = fake!.calls.find((c) => c.method === "execute_kw")!;
    expect(call.path).toBe("/xmlrpc/2/object");
    expect(call.params).toEqual([
      "crm",
      2,
      SECRET,
      "res.partner",
      "search",
      [[["name", "=", "Ayşe"]]],
      { limit: 2 },
    ]);
    client.close();
  });

  it("retries a dropped connection and an HTTP 503, then returns the result", async () => {
    let calls = 0;
    const client = await clientFor(() => {
      calls += 1;
      if (calls === 1) return { drop: true };
      if (calls === 2) return { http: 503 };
      return { result: true };
    });

    await expect(client.executeKw("netmera.migration.run", "action_start", [[1]])).resolves.toBe(
      true,
    );
    expect(calls).toBe(3);
    client.close();
  });

  it("retries a serialization failure as OdooConcurrencyError", async () => {
    let calls = 0;
    const client = await clientFor(() => {
      calls += 1;
      return calls < 3
        ? {
            fault: {
              faultCode: 1,
              faultString:
                "Traceback (most recent call last):\npsycopg2.errors.SerializationFailure: " +
                "could not serialize access due to concurrent update\n",
            },
          }
        : { result: 5 };
    });

    await expect(client.executeKw("res.partner", "search_count", [[]])).resolves.toBe(5);
    expect(calls).toBe(3);
    client.close();
  });

  it("retries a cursor closed by an Odoo shutdown", async () => {
    let calls = 0;
    const client = await clientFor(() => {
      calls += 1;
      return calls < 2
        ? {
            fault: {
              faultCode: 1,
              faultString:
                'Traceback (most recent call last):\n  File "odoo/sql_db.py", line 354\n' +
                "psycopg2.InterfaceError: cursor already closed\n",
            },
          }
        : { result: 7 };
    });

    await expect(client.executeKw("res.partner", "search_count", [[]])).resolves.toBe(7);
    expect(calls).toBe(2);
    client.close();
  });

  it("stops at a permanent fault and names model, method, db and batch", async () => {
    let calls = 0;
    const client = await clientFor(() => {
      calls += 1;
      return { fault: { faultCode: 1, faultString: TRACEBACK } };
    });

    const failure = client.executeKw(
      "netmera.migration.run",
      "import_batch",
      [[1], "contacts", 12, []],
      {},
      { model: "res.partner", method: "import_batch", context: "phase contacts, batch 12" },
    );

    await expect(failure).rejects.toBeInstanceOf(OdooFaultError);
    await expect(failure).rejects.not.toBeInstanceOf(OdooConcurrencyError);
    await expect(failure).rejects.toThrow(
      'res.partner import_batch failed on db "crm" (phase contacts, batch 12): ' +
        "ValueError: Invalid field 'x_netmera_loyalty' on model 'res.partner'",
    );
    expect(calls).toBe(1);
    client.close();
  });

  it("reports a 404 endpoint as XmlRpcEndpointNotFound without retrying", async () => {
    let calls = 0;
    const client = await clientFor(() => {
      calls += 1;
      return { http: 404 };
    });

    const failure = client.executeKw("res.partner", "search", [[]]);
    await expect(failure).rejects.toBeInstanceOf(XmlRpcEndpointNotFound);
    await expect(failure).rejects.toThrow(/\/xmlrpc\/2\/object answered HTTP 404/);
    expect(calls).toBe(1);
    client.close();
  });

  it("times out a call that does not answer and retries it", async () => {
    let calls = 0;
    const client = await clientFor(
      () => {
        calls += 1;
        return calls === 1 ? { delayMs: 500, then: { result: "late" } } : { result: "fast" };
      },
      { timeoutMs: 100 },
    );

    await expect(client.executeKw("res.partner", "search", [[]])).resolves.toBe("fast");
    expect(calls).toBe(2);
    client.close();
  });

  it("throws OdooUnavailableError once the retries run out", async () => {
    const client = await clientFor(() => ({ drop: true }));

    const failure = client.executeKw("res.partner", "search", [[]]);
    await expect(failure).rejects.toBeInstanceOf(OdooUnavailableError);
    expect(fake!.calls.filter((c) => c.method === "execute_kw")).toHaveLength(FAST.maxAttempts);
    client.close();
  });

  it("keeps the password out of errors and serialisation", async () => {
    const client = await clientFor(() => ({ fault: { faultCode: 1, faultString: TRACEBACK } }));
    const error = await client.executeKw("res.partner", "search", [[]]).catch((e: Error) => e);

    expect(String((error as Error).message)).not.toContain(SECRET);
    expect(JSON.stringify(client)).not.toContain(SECRET);
    expect(JSON.stringify(client)).toContain('"db":"crm"');
    client.close();
  });

  it("rejects wrong credentials with the fix", async () => {
    fake = await startFakeOdoo((call) =>
      call.method === "authenticate" ? { result: false } : (defaultReply(call) ?? { result: 1 }),
    );
    const client = new OdooClient({
      url: fake.url,
      db: "crm",
      login: "admin",
      password: SECRET,
      logger: silentLogger,
      retry: FAST,
    });

    const failure = client.authenticate();
    await expect(failure).rejects.toThrow(/rejected the login "admin" on db "crm": wrong login/);
    await expect(failure).rejects.not.toThrow(SECRET);
    client.close();
  });
});
