import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import xmlrpc from "xmlrpc";
import { BridgeError, OdooUnavailableError } from "../core/errors.js";

/**
 * One XML-RPC endpoint of an Odoo server (`/xmlrpc/2/common` or `/xmlrpc/2/object`). This layer
 * only moves calls and sorts failures into three kinds: a fault that Odoo returned
 * (`XmlRpcFault`), a missing endpoint (`XmlRpcEndpointNotFound`) and an unreachable or
 * unanswering server (`OdooUnavailableError`, retryable).
 */

/** A fault answered by Odoo: `faultCode` 1 application error, 2 user error, 3 access denied, 4 access error. */
export class XmlRpcFault extends Error {
  constructor(
    readonly faultCode: number,
    readonly faultString: string,
  ) {
    super(`XML-RPC fault ${faultCode}: ${faultString}`);
    this.name = "XmlRpcFault";
  }
}

/** The server answered HTTP 404: no XML-RPC endpoint at this URL. */
export class XmlRpcEndpointNotFound extends BridgeError {
  override readonly code = "odoo_endpoint_not_found";
  override readonly status = 502;
}

/**
 * An unreachable or unanswering server, with what went wrong: `refused` (nothing listens),
 * `dns` (the host name does not resolve), `timeout` (connected, but no answer in time) or
 * `broken` (the connection failed or broke, or the server answered HTTP 5xx). Retryable.
 */
export class OdooConnectionError extends OdooUnavailableError {
  constructor(
    readonly kind: "refused" | "dns" | "timeout" | "broken",
    readonly endpoint: string,
    readonly method: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const DNS_ERROR_CODES = new Set(["ENOTFOUND", "EAI_AGAIN"]);

/** Node error codes of a connection that failed or broke; the server may be restarting. */
const CONNECTION_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
]);

interface RawXmlRpcError extends Error {
  code?: string | number;
  faultCode?: number;
  faultString?: string;
  res?: { statusCode?: number };
}

export interface XmlRpcEndpointOptions {
  /** Server base URL, for example `http://127.0.0.1:8069`. */
  baseUrl: string;
  /** Path of the endpoint, for example `/xmlrpc/2/object`. */
  path: string;
  /** Abort a call that has not answered after this many milliseconds. */
  timeoutMs: number;
}

export class XmlRpcEndpoint {
  private readonly url: URL;
  private readonly agent: HttpAgent;

  constructor(private readonly options: XmlRpcEndpointOptions) {
    // Keep a path prefix of the base URL (Odoo behind a proxy at https://host/odoo/).
    const base = new URL(options.baseUrl);
    this.url = new URL(`${base.pathname.replace(/\/+$/, "")}${options.path}`, base);
    const agentOptions = { keepAlive: true, maxSockets: 16 };
    this.agent =
      this.url.protocol === "https:" ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  }

  /** Endpoint URL without credentials, for messages. */
  get displayUrl(): string {
    return `${this.url.origin}${this.url.pathname}`;
  }

  /** Send one method call and return its decoded result. */
  call(method: string, params: unknown[]): Promise<unknown> {
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    // A client per call: the package writes Content-Length into its shared options object, so
    // concurrent calls through one client would race on it.
    const clientOptions = {
      host: this.url.hostname,
      port: Number(this.url.port) || (this.url.protocol === "https:" ? 443 : 80),
      path: this.url.pathname,
      agent: this.agent,
      signal,
    };
    const client =
      this.url.protocol === "https:"
        ? xmlrpc.createSecureClient(clientOptions)
        : xmlrpc.createClient(clientOptions);

    return new Promise((resolve, reject) => {
      client.methodCall(method, params, (error, value) => {
        if (error) {
          reject(this.classify(method, error as RawXmlRpcError, signal));
          return;
        }

        resolve(value);
      });
    });
  }

  /** Close idle keep-alive sockets so the process can exit. */
  close(): void {
    this.agent.destroy();
  }

  private classify(method: string, error: RawXmlRpcError, signal: AbortSignal): Error {
    if (error.faultCode !== undefined) {
      return new XmlRpcFault(Number(error.faultCode), String(error.faultString ?? ""));
    }

    const where = `${method} at ${this.displayUrl}`;
    const failed = (kind: OdooConnectionError["kind"], message: string) =>
      new OdooConnectionError(kind, this.displayUrl, method, message, { cause: error });
    if (signal.aborted) {
      return failed("timeout", `${where} did not answer within ${this.options.timeoutMs / 1000} s`);
    }

    const status = error.res?.statusCode;
    if (status === 404) {
      return new XmlRpcEndpointNotFound(`${where} answered HTTP 404 (no XML-RPC endpoint)`, {
        cause: error,
      });
    }

    if (typeof error.code === "string" && CONNECTION_ERROR_CODES.has(error.code)) {
      const kind =
        error.code === "ECONNREFUSED"
          ? "refused"
          : DNS_ERROR_CODES.has(error.code)
            ? "dns"
            : "broken";
      return failed(kind, `${where} failed: ${error.code} (${error.message})`);
    }

    if (error.message === "socket hang up" || (status !== undefined && status >= 500)) {
      const detail = status !== undefined ? `HTTP ${status}` : error.message;
      return failed("broken", `${where} failed: ${detail}`);
    }

    const detail = status !== undefined ? `HTTP ${status}, ${error.message}` : error.message;
    return new BridgeError(`${where} returned an answer that is not XML-RPC: ${detail}`, {
      cause: error,
    });
  }
}
