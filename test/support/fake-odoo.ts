/**
 * A local XML-RPC server that imitates the parts of Odoo's external API the client uses. It is
 * for unit tests of batching, concurrency, retries and fault messages only; everything that
 * checks what lands in Odoo runs against a real Odoo (test/support/odoo.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const Serializer = require("xmlrpc/lib/serializer") as {
  serializeMethodResponse(value: unknown): string;
  serializeFault(fault: { faultCode: number; faultString: string }): string;
};
const Deserializer = require("xmlrpc/lib/deserializer") as new () => {
  deserializeMethodCall(
    stream: IncomingMessage,
    callback: (error: Error | null, method: string, params: unknown[]) => void,
  ): void;
};

/** What the handler decides for one call. */
export type FakeReply =
  | { result: unknown }
  | { fault: { faultCode: number; faultString: string } }
  | { http: number; body?: string }
  | { drop: true }
  | { delayMs: number; then: FakeReply };

export interface FakeCall {
  /** `/xmlrpc/2/common` or `/xmlrpc/2/object`. */
  path: string;
  method: string;
  params: unknown[];
  /** For `execute_kw`: model, method and positional arguments. */
  model?: string;
  kwMethod?: string;
  args?: unknown[];
  receivedAt: number;
}

export type FakeHandler = (call: FakeCall) => FakeReply | Promise<FakeReply>;

export interface FakeOdoo {
  url: string;
  calls: FakeCall[];
  /** Calls in flight right now, and the most seen at once. */
  inFlight: number;
  maxInFlight: number;
  close(): Promise<void>;
}

/** Replies of a healthy Odoo 18 to `version` and `authenticate` (uid 2). */
export function defaultReply(call: FakeCall): FakeReply | undefined {
  if (call.method === "version") {
    return {
      result: {
        server_version: "18.0",
        server_version_info: [18, 0, 0, "final", 0, ""],
        server_serie: "18.0",
        protocol_version: 1,
      },
    };
  }

  if (call.method === "authenticate") return { result: 2 };
  return undefined;
}

export async function startFakeOdoo(handler: FakeHandler): Promise<FakeOdoo> {
  const state = { calls: [] as FakeCall[], inFlight: 0, maxInFlight: 0 };
  const sockets = new Set<import("node:net").Socket>();

  const send = async (reply: FakeReply, response: ServerResponse): Promise<void> => {
    if ("delayMs" in reply) {
      await new Promise((done) => setTimeout(done, reply.delayMs));
      return send(reply.then, response);
    }

    if ("drop" in reply) {
      response.socket?.destroy();
      return;
    }

    if ("http" in reply) {
      response.writeHead(reply.http, { "content-type": "text/html" });
      response.end(reply.body ?? `<html><body>HTTP ${reply.http}</body></html>`);
      return;
    }

    const xml =
      "fault" in reply
        ? Serializer.serializeFault(reply.fault)
        : Serializer.serializeMethodResponse(reply.result);
    response.writeHead(200, { "content-type": "text/xml" });
    response.end(xml);
  };

  const server: Server = createServer((request, response) => {
    new Deserializer().deserializeMethodCall(request, async (error, method, params) => {
      if (error) {
        response.writeHead(400);
        response.end(String(error));
        return;
      }

      const call: FakeCall = { path: request.url ?? "", method, params, receivedAt: Date.now() };
      if (method === "execute_kw") {
        call.model = params[3] as string;
        call.kwMethod = params[4] as string;
        call.args = params[5] as unknown[];
      }

      state.calls.push(call);
      state.inFlight += 1;
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
      try {
        await send(await handler(call), response);
      } finally {
        state.inFlight -= 1;
      }
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    get calls() {
      return state.calls;
    },
    get inFlight() {
      return state.inFlight;
    },
    get maxInFlight() {
      return state.maxInFlight;
    },
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
}
