import { NetmeraApiError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { DEFAULT_BACKOFF, parseRetryAfter, retryDelayMs, type BackoffPolicy } from "./backoff.js";
import { parseErrorBody } from "./error-body.js";
import { defaultSleep, RateLimiter } from "./rate-limiter.js";

/** Default host of Netmera's cloud REST API (https://user.netmera.com/netmera-developer-guide/api-documentation/rest-api/setup.md). */
export const DEFAULT_BASE_URL = "https://restapi.netmera.com";

/** Header that carries the REST API key, as Netmera's setup page documents it. */
const API_KEY_HEADER = "X-netmera-api-key";

/** Query or body fields whose values never go into a message or a log line. */
const SECRET_PARAMS = new Set(["token", "devicetoken", "apikey", "key", "password"]);

export interface NetmeraRequest {
  method: "GET" | "POST";
  /** A path under the base URL (`/rest/3.0/...` with its query) or a `nextPage` URL. */
  url: string;
  body?: unknown;
}

export interface NetmeraResponse {
  status: number;
  /** Parsed JSON, or null for 204 and for a 2xx response with an empty body. */
  body: unknown;
  /** Absolute URL that served the response; relative `nextPage` links resolve against it. */
  url: string;
}

export interface ClientEvents {
  onAttempt?(endpoint: string): void;
  onRetry?(endpoint: string, delayMs: number): void;
}

export interface NetmeraClientOptions {
  baseUrl: string;
  apiKey: string;
  logger: Logger;
  requestsPerSecond: number;
  timeoutMs: number;
  backoff?: BackoffPolicy;
  events?: ClientEvents;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

interface AttemptFailure {
  retryable: boolean;
  httpStatus: number;
  netmeraCode: number | undefined;
  reason: string;
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * Read-only client for Netmera's REST API. Every attempt takes a slot of the rate limiter, and
 * 5xx, 429 and timeouts are retried with backoff a bounded number of times. Each documented
 * error shape becomes a `NetmeraApiError` that names the endpoint and its parameters, never the key.
 */
export class NetmeraClient {
  private readonly base: URL;
  private readonly limiter: RateLimiter;
  private readonly backoff: BackoffPolicy;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: NetmeraClientOptions) {
    this.base = new URL(options.baseUrl.endsWith("/") ? options.baseUrl : `${options.baseUrl}/`);
    this.sleep = options.sleep ?? defaultSleep;
    this.limiter = new RateLimiter(options.requestsPerSecond, Date.now, this.sleep);
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  /** Build the absolute URL of a request, keeping any path prefix of the configured base URL. */
  resolve(url: string): URL {
    if (/^https?:\/\//i.test(url)) {
      return new URL(url);
    }

    return new URL(url.replace(/^\/+/, ""), this.base);
  }

  /**
   * Resolve a `nextPage` link. Netmera builds it from the host that served the request
   * (https://user.netmera.com/netmera-developer-guide/api-documentation/api-reference/devices/list-device-tokens),
   * so a host-relative link resolves against that URL. A link to another origin is rejected:
   * following it would send the API key to a host the user did not configure.
   */
  resolveNextPage(link: string, servedBy: string): string {
    const next = new URL(link, servedBy);
    if (next.origin !== new URL(servedBy).origin) {
      throw new NetmeraApiError(
        endpointOf("GET", new URL(servedBy)),
        0,
        undefined,
        `Netmera nextPage link points at another host (${next.origin}) and is not followed, because the API key goes only to the configured host`,
      );
    }

    return next.href;
  }

  async request(request: NetmeraRequest): Promise<NetmeraResponse> {
    const url = this.resolve(request.url);
    if (url.origin !== this.base.origin) {
      throw new NetmeraApiError(
        endpointOf(request.method, url),
        0,
        undefined,
        `Netmera request to ${url.origin} rejected: the API key goes only to ${this.base.origin}`,
      );
    }

    const endpoint = endpointOf(request.method, url);
    let attempt = 0;
    for (;;) {
      attempt += 1;
      await this.limiter.acquire();
      this.options.events?.onAttempt?.(endpoint);
      const started = Date.now();
      const outcome = await this.attempt(request, url);
      const elapsedMs = Date.now() - started;
      if ("body" in outcome) {
        this.options.logger.debug(
          { endpoint, status: outcome.status, elapsedMs },
          "netmera request",
        );
        return outcome;
      }

      const giveUp = !outcome.retryable || attempt >= this.backoff.maxAttempts;
      if (giveUp) {
        const error = this.failure(request, url, outcome, attempt);
        // The caller that catches the error reports it (the command's last line, a serve job's
        // log), so it is logged here at debug level only, to avoid printing it twice.
        this.options.logger.debug(
          { endpoint, attempt, httpStatus: outcome.httpStatus },
          error.message,
        );
        throw error;
      }

      const delayMs = retryDelayMs(
        this.backoff,
        attempt,
        outcome.retryAfterMs,
        this.options.random,
      );
      this.options.logger.info(
        { endpoint, attempt, httpStatus: outcome.httpStatus, delayMs, reason: outcome.reason },
        "netmera request failed, retrying",
      );
      this.options.events?.onRetry?.(endpoint, delayMs);
      await this.sleep(delayMs);
    }
  }

  private async attempt(
    request: NetmeraRequest,
    url: URL,
  ): Promise<NetmeraResponse | AttemptFailure> {
    const headers: Record<string, string> = {
      [API_KEY_HEADER]: this.options.apiKey,
      accept: "application/json",
    };
    if (request.body !== undefined) {
      headers["content-type"] = "application/json";
    }

    let response: Response;
    let text: string;
    try {
      // Redirects are not followed: fetch would repeat the key header to whatever host they name.
      response = await fetch(url, {
        method: request.method,
        headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        redirect: "manual",
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      return transportFailure(error, this.options.timeoutMs);
    }

    if (response.status >= 200 && response.status < 300) {
      return parseSuccess(response, text, url);
    }

    if (response.status >= 300 && response.status < 400) {
      const location = response.headers.get("location") ?? "(no location)";
      return {
        retryable: false,
        httpStatus: response.status,
        netmeraCode: undefined,
        reason: `HTTP ${response.status} redirect to ${location}, not followed because the API key goes only to the configured host`,
      };
    }

    const parsed = parseErrorBody(response.headers.get("content-type"), text);
    const status = response.status;
    return {
      retryable: status >= 500 || status === 429 || status === 408,
      httpStatus: status,
      netmeraCode: parsed.netmeraCode,
      reason: `HTTP ${status}${parsed.netmeraCode === undefined ? "" : `, Netmera code ${parsed.netmeraCode}`}: ${parsed.text}`,
      retryAfterMs: parseRetryAfter(response.headers.get("retry-after")),
    };
  }

  private failure(
    request: NetmeraRequest,
    url: URL,
    outcome: AttemptFailure,
    attempts: number,
  ): NetmeraApiError {
    const endpoint = endpointOf(request.method, url);
    const params = describeParams(url, request.body);
    const tries = attempts > 1 ? ` after ${attempts} attempts` : "";
    const hint = outcome.netmeraCode === 2010 ? " (check NETMERA_API_KEY)" : "";
    const message = `Netmera ${endpoint}${params} failed${tries}: ${outcome.reason}${hint}`;
    return new NetmeraApiError(endpoint, outcome.httpStatus, outcome.netmeraCode, message, false, {
      cause: outcome.cause,
    });
  }
}

function parseSuccess(
  response: Response,
  text: string,
  url: URL,
): NetmeraResponse | AttemptFailure {
  // 204 (for example inbox/get with an unknown piid) and 200 with no body both mean "nothing".
  if (response.status === 204 || text.trim() === "") {
    return { status: response.status, body: null, url: url.href };
  }

  try {
    return { status: response.status, body: JSON.parse(text), url: url.href };
  } catch (error) {
    return {
      retryable: false,
      httpStatus: response.status,
      netmeraCode: undefined,
      reason: `HTTP ${response.status} with a body that is not JSON: ${JSON.stringify(text.slice(0, 80))}`,
      cause: error,
    };
  }
}

function transportFailure(error: unknown, timeoutMs: number): AttemptFailure {
  const name = (error as { name?: string }).name;
  if (name === "TimeoutError" || name === "AbortError") {
    return {
      retryable: true,
      httpStatus: 0,
      netmeraCode: undefined,
      reason: `timed out after ${timeoutMs} ms`,
      cause: error,
    };
  }

  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message ?? (error as Error).message;
  return {
    retryable: true,
    httpStatus: 0,
    netmeraCode: undefined,
    reason: `connection failed (${detail})`,
    cause: error,
  };
}

/** `GET /rest/3.0/getSegmentUsers`: method and path, without query or host. */
export function endpointOf(method: string, url: URL): string {
  return `${method} ${url.pathname}`;
}

/** Render query and body parameters for a message, with secret values left out. */
export function describeParams(url: URL, body: unknown): string {
  const parts: string[] = [];
  for (const [name, value] of url.searchParams) {
    parts.push(renderParam(name, value));
  }

  if (body && typeof body === "object" && !Array.isArray(body)) {
    for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
      parts.push(renderParam(name, typeof value === "string" ? value : JSON.stringify(value)));
    }
  }

  return parts.length === 0 ? "" : ` (${parts.join(", ")})`;
}

function renderParam(name: string, value: string): string {
  return SECRET_PARAMS.has(name.toLowerCase()) ? `${name}=[redacted]` : `${name}=${value}`;
}
