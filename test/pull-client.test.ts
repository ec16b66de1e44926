import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NetmeraApiError } from "../bridge/src/core/errors.js";
import { silentLogger } from "../bridge/src/core/log.js";
import { NetmeraClient, type NetmeraClientOptions } from "../bridge/src/netmera/http-client.js";
import { RateLimiter } from "../bridge/src/netmera/rate-limiter.js";
import { API_KEY, makeDataset } from "./fixtures/pull/dataset.js";
import { startNetmeraServer, type NetmeraServer } from "./support/netmera-server.js";

let server: NetmeraServer;

beforeEach(async () => {
  server = await startNetmeraServer({ apiKey: API_KEY, dataset: makeDataset() });
});

afterEach(async () => {
  await server.close();
});

function client(overrides: Partial<NetmeraClientOptions> = {}): NetmeraClient {
  return new NetmeraClient({
    baseUrl: server.url,
    apiKey: API_KEY,
    logger: silentLogger,
    requestsPerSecond: 1000,
    timeoutMs: 500,
    backoff: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 5000 },
    random: () => 0.5,
    ...overrides,
  });
}

async function failure(promise: Promise<unknown>): Promise<NetmeraApiError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(NetmeraApiError);
  return error as NetmeraApiError;
}

const segments = { method: "GET", url: "/rest/3.0/getSegments" } as const;

describe("RateLimiter", () => {
  it("reserves evenly spaced slots", async () => {
    let now = 1000;
    const waits: number[] = [];
    const limiter = new RateLimiter(
      4,
      () => now,
      async (ms) => {
        waits.push(ms);
      },
    );

    await limiter.acquire();
    await limiter.acquire();
    await limiter.acquire();
    now += 600;
    await limiter.acquire();
    await limiter.acquire();

    expect(waits).toEqual([250, 500, 150, 400]);
  });
});

describe("NetmeraClient", () => {
  it("sends the key header and parses JSON", async () => {
    const response = await client().request(segments);

    expect(response.status).toBe(200);
    expect((response.body as { list: unknown[] }).list).toHaveLength(4);
    expect(server.requests[0]?.apiKey).toBe(API_KEY);
  });

  it("retries a 503 and succeeds", async () => {
    server.inject({ endpoint: "getSegments", times: 2, response: { status: 503, text: "busy" } });
    let retries = 0;

    const response = await client({ events: { onRetry: () => (retries += 1) } }).request(segments);

    expect(response.status).toBe(200);
    expect(server.counts()).toEqual({ getSegments: 3 });
    expect(retries).toBe(2);
  });

  it("waits for Retry-After on 429", async () => {
    server.inject({
      endpoint: "getSegments",
      response: { status: 429, headers: { "retry-after": "1" }, text: "Too Many Requests" },
    });

    await client().request(segments);

    const [first, second] = server.requests;
    expect(server.requests).toHaveLength(2);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1000);
  });

  it("retries a response slower than the timeout", async () => {
    server.inject({ endpoint: "getSegments", response: { delayMs: 2000 } });

    const response = await client({ timeoutMs: 600 }).request(segments);

    expect(response.status).toBe(200);
    expect(server.counts()).toEqual({ getSegments: 2 });
  });

  it("gives up after the last attempt with the Netmera code", async () => {
    server.inject({
      endpoint: "getSegmentUsers",
      times: 3,
      response: { status: 500, json: { code: 2001, error: "Unexpected error, retry later" } },
    });

    const error = await failure(
      client().request({ method: "GET", url: "/rest/3.0/getSegmentUsers?id=101&max=1000" }),
    );

    expect(error.message).toBe(
      "Netmera GET /rest/3.0/getSegmentUsers (id=101, max=1000) failed after 3 attempts: " +
        "HTTP 500, Netmera code 2001: Unexpected error, retry later",
    );
    expect(error.endpoint).toBe("GET /rest/3.0/getSegmentUsers");
    expect(error.httpStatus).toBe(500);
    expect(error.netmeraCode).toBe(2001);
    expect(server.counts()).toEqual({ getSegmentUsers: 3 });
  });

  it("names a timeout when it gives up", async () => {
    server.inject({ endpoint: "getSegments", times: 3, response: { delayMs: 400 } });

    const error = await failure(client({ timeoutMs: 100 }).request(segments));

    expect(error.message).toBe(
      "Netmera GET /rest/3.0/getSegments failed after 3 attempts: timed out after 100 ms",
    );
    expect(error.httpStatus).toBe(0);
  });

  it("does not retry a plain-text 400", async () => {
    server.inject({
      endpoint: "getProfileAttributes",
      response: { status: 400, text: "Please provide an external id." },
    });

    const error = await failure(
      client().request({ method: "GET", url: "/rest/3.0/getProfileAttributes?extId=" }),
    );

    expect(error.message).toBe(
      "Netmera GET /rest/3.0/getProfileAttributes (extId=) failed: HTTP 400: Please provide an external id.",
    );
    expect(error.netmeraCode).toBeUndefined();
    expect(server.requests).toHaveLength(1);
  });

  it("reads RFC 9457 problem JSON", async () => {
    const error = await failure(client().request({ method: "GET", url: "/rest/3.0/getNothing" }));

    expect(error.message).toBe(
      "Netmera GET /rest/3.0/getNothing failed: HTTP 404: Not Found: No endpoint /rest/3.0/getNothing.",
    );
    expect(error.httpStatus).toBe(404);
  });

  it("retries problem JSON on 503", async () => {
    const problem = {
      type: "about:blank",
      title: "Service Unavailable",
      status: 503,
      detail: "Maintenance until 03:00",
      instance: "/rest/3.0/getSegments",
    };
    server.inject({
      endpoint: "getSegments",
      times: 3,
      response: { status: 503, json: problem, contentType: "application/problem+json" },
    });

    const error = await failure(client().request(segments));

    expect(error.message).toBe(
      "Netmera GET /rest/3.0/getSegments failed after 3 attempts: HTTP 503: Service Unavailable: Maintenance until 03:00",
    );
    expect(server.requests).toHaveLength(3);
  });

  it("rejects a wrong key without retrying", async () => {
    const error = await failure(
      new NetmeraClient({
        baseUrl: server.url,
        apiKey: "wrong-key",
        logger: silentLogger,
        requestsPerSecond: 1000,
        timeoutMs: 500,
      }).request(segments),
    );

    expect(error.message).toBe(
      "Netmera GET /rest/3.0/getSegments failed: HTTP 403, Netmera code 2010: Invalid API key (check NETMERA_API_KEY)",
    );
    expect(error.message).not.toContain("wrong-key");
    expect(server.requests).toHaveLength(1);
  });

  it("returns null for 204 and for an empty 200", async () => {
    server.inject({ endpoint: "getSegments", response: { status: 204 } });
    server.inject({ endpoint: "getSegments", response: { status: 200, text: "" } });

    const noContent = await client().request(segments);
    const empty = await client().request(segments);

    expect(noContent).toMatchObject({ status: 204, body: null });
    expect(empty).toMatchObject({ status: 200, body: null });
  });

  it("does not retry a 200 whose body is not JSON", async () => {
    server.inject({ endpoint: "getSegments", response: { status: 200, text: "<html>" } });

    const error = await failure(client().request(segments));

    expect(error.message).toBe(
      'Netmera GET /rest/3.0/getSegments failed: HTTP 200 with a body that is not JSON: "<html>"',
    );
    expect(server.requests).toHaveLength(1);
  });

  it("redacts token parameters in messages", async () => {
    server.inject({
      endpoint: "getPushResult",
      response: { status: 400, json: { code: 2004, error: "Field 'token' is invalid" } },
    });

    const error = await failure(
      client().request({ method: "GET", url: "/rest/3.0/getPushResult?token=tok-SECRET-1&max=10" }),
    );

    expect(error.message).toBe(
      "Netmera GET /rest/3.0/getPushResult (token=[redacted], max=10) failed: HTTP 400, Netmera code 2004: Field 'token' is invalid",
    );
  });

  it("does not follow a redirect", async () => {
    server.inject({
      endpoint: "getSegments",
      response: { status: 302, headers: { location: "http://192.0.2.1/steal" } },
    });

    const error = await failure(client().request(segments));

    expect(error.message).toBe(
      "Netmera GET /rest/3.0/getSegments failed: HTTP 302 redirect to http://192.0.2.1/steal, not followed because the API key goes only to the configured host",
    );
    expect(server.requests).toHaveLength(1);
  });

  it("keeps a nextPage link on the serving host", () => {
    const api = client();
    const served = `${server.url}/rest/3.0/getSegmentUsers?id=101`;

    expect(api.resolveNextPage("/rest/3.0/getSegmentUsers?offset=abc", served)).toBe(
      `${server.url}/rest/3.0/getSegmentUsers?offset=abc`,
    );
    expect(() => api.resolveNextPage("https://elsewhere.example/rest/3.0/x", served)).toThrow(
      "Netmera nextPage link points at another host (https://elsewhere.example) and is not followed, because the API key goes only to the configured host",
    );
  });

  it("spaces requests at the configured rate", async () => {
    const api = client({ requestsPerSecond: 10 });
    const started = performance.now();

    for (let i = 0; i < 4; i += 1) {
      await api.request(segments);
    }

    // The fourth request may start 300 ms after the first at the earliest.
    expect(performance.now() - started).toBeGreaterThanOrEqual(299);
    expect(server.requests).toHaveLength(4);
  });

  it("keeps the base URL's path prefix", async () => {
    const error = await failure(client({ baseUrl: `${server.url}/proxy` }).request(segments));

    expect(error.httpStatus).toBe(404);
    expect(server.requests[0]?.url).toBe("/proxy/rest/3.0/getSegments");
  });
});
