import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { OdooUnavailableError } from "../bridge/src/core/errors.js";
import { silentLogger } from "../bridge/src/core/log.js";
import { OdooClient } from "../bridge/src/odoo/client.js";
import type { RetryPolicy } from "../bridge/src/odoo/retry.js";
import { OdooConnectionError } from "../bridge/src/odoo/transport.js";
import { copyFixturePlan, runCli } from "./migrate-support.js";
import { defaultReply, startFakeOdoo, type FakeOdoo } from "./support/fake-odoo.js";

/**
 * A server that accepts connections and never answers: every call must end after the timeout,
 * be retried with backoff, and fail with the URL, the call and the timeout in the message.
 */

const FAST: RetryPolicy = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 };

interface SilentServer {
  url: string;
  /** Connections accepted so far. */
  connections: () => number;
  close(): Promise<void>;
}

/** A TCP server on loopback that reads whatever comes and never writes a byte back. */
async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.resume();
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => accepted,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((done) => server.close(done));
    },
  };
}

let silent: SilentServer | undefined;
let fake: FakeOdoo | undefined;

afterEach(async () => {
  await silent?.close();
  await fake?.close();
  silent = undefined;
  fake = undefined;
});

describe("a server that accepts connections but never answers", () => {
  it("times out each try of version, retries, then names the URL, the call and the timeout", async () => {
    silent = await startSilentServer();
    const client = new OdooClient({
      url: silent.url,
      db: "crm",
      login: "admin",
      password: "x",
      logger: silentLogger,
      timeoutMs: 150,
    });

    const started = Date.now();
    const error = await client.version(FAST).catch((e: unknown) => e);
    const elapsed = Date.now() - started;

    expect(error).toBeInstanceOf(OdooConnectionError);
    expect(error).toBeInstanceOf(OdooUnavailableError);
    expect((error as OdooConnectionError).kind).toBe("timeout");
    expect((error as Error).message).toBe(
      `Odoo at ${silent.url}/xmlrpc/2/common accepted the connection but did not answer ` +
        "common.version within the timeout of 0.15 s (3 tries). Check the Odoo server's log " +
        "and load, or allow slower answers with --timeout SECONDS.",
    );
    expect(silent.connections()).toBe(3);
    expect(elapsed).toBeGreaterThanOrEqual(3 * 150);
    client.close();
  });

  it("names the model, method and batch of an execute_kw that never answers", async () => {
    // Version and login answer; the batch itself hangs until the client gives up.
    fake = await startFakeOdoo(
      (call) => defaultReply(call) ?? { delayMs: 60_000, then: { result: true } },
    );
    const client = new OdooClient({
      url: fake.url,
      db: "crm",
      login: "admin",
      password: "x",
      logger: silentLogger,
      timeoutMs: 150,
      retry: FAST,
    });

    const error = await client
      .executeKw(
        "netmera.migration.run",
        "import_batch",
        [[1], "contacts", 3, []],
        {},
        {
          model: "res.partner",
          context: "phase contacts, batch 3",
        },
      )
      .catch((e: unknown) => e);

    expect((error as Error).message).toBe(
      `Odoo at ${fake.url}/xmlrpc/2/object accepted the connection but did not answer ` +
        "res.partner.import_batch (phase contacts, batch 3) within the timeout of 0.15 s " +
        "(3 tries). Check the Odoo server's log and load, or allow slower answers with " +
        "--timeout SECONDS.",
    );
    expect(fake.calls.filter((call) => call.method === "execute_kw")).toHaveLength(3);
    client.close();
  });

  it("stops migrate --timeout 1 with the URL, the call and the timeout", async () => {
    silent = await startSilentServer();
    const planDir = copyFixturePlan();

    const result = await runCli(
      [
        "migrate",
        `${planDir}/snapshot`,
        "--plan",
        planDir,
        "--mapping",
        `${planDir}/mapping.json`,
        "--odoo-url",
        silent.url,
        "--db",
        "crm",
        "--user",
        "admin",
        "--timeout",
        "1",
      ],
      { ODOO_PASSWORD: "x" },
    );

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `error: Odoo at ${silent.url}/xmlrpc/2/common accepted the connection but did not ` +
        "answer common.version within the timeout of 1 s (3 tries).",
    );
    expect(result.stderr).toContain("Odoo call failed, retrying");
    expect(silent.connections()).toBe(3);
  });

  it("rejects a timeout that is not a whole number of seconds", async () => {
    const planDir = copyFixturePlan();
    const result = await runCli(
      [
        "migrate",
        `${planDir}/snapshot`,
        "--plan",
        planDir,
        "--odoo-url",
        "http://127.0.0.1:1",
      ].concat(["--db", "crm", "--user", "admin", "--timeout", "0.5"]),
      { ODOO_PASSWORD: "x" },
    );

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--timeout must be a whole number of at least 1 (got "0.5")');
  });
});
