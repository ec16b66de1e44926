/**
 * A local HTTP server that responds like Netmera's REST API v3.0 for the read endpoints the pull
 * uses, with the documented pagination styles and error shapes, plus switches to inject faults.
 * Sources of the behaviour: Netmera's API reference pages (user-and-device management, list
 * device tokens, list segment users, push statistics and results, inbox, error responses).
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

type Json = Record<string, unknown>;

export interface SegmentFixture {
  id: string;
  name: string;
  type: string;
  userCount: number | null;
  members?: Json[];
}

export interface PushMessageFixture extends Json {
  notificationKey: string;
  startDate: number;
}

export interface NetmeraDataset {
  profileAttributes: Json;
  events: Json;
  segments: SegmentFixture[];
  installations: Json[];
  profiles: Record<string, Json>;
  devices: Record<string, Json[]>;
  pushMessages: PushMessageFixture[];
  pushResults: Record<string, Json[]>;
  inbox: Record<string, Json[]>;
}

/** How the last page of a `nextPage` list is marked. Netmera's documentation leaves this open. */
export type EndOfList = "absent" | "null" | "empty-page";

export interface FaultResponse {
  status?: number;
  json?: unknown;
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
  /** Delay in ms before the response. Without a status, the normal response follows the delay. */
  delayMs?: number;
}

export interface Fault {
  /** Last path segment(s) of the endpoint, e.g. `getSegmentUsers` or `app/events`. */
  endpoint: string;
  /** Only requests whose query contains these values. */
  query?: Record<string, string>;
  /** How many matching requests receive the fault; default 1. */
  times?: number;
  response: FaultResponse;
}

export interface RecordedRequest {
  method: string;
  endpoint: string;
  /** Path and query exactly as requested. */
  url: string;
  body: string;
  apiKey: string | undefined;
  at: number;
  /** Set once the whole response was written. */
  completed: boolean;
}

export interface NetmeraServerOptions {
  apiKey: string;
  dataset: NetmeraDataset;
  endOfList?: EndOfList;
  /** `nextPage` as an absolute URL (Netmera's samples) or host-relative. */
  nextPageForm?: "absolute" | "relative";
  /** Server-side page size caps, to force many pages from small data sets. */
  pageCaps?: { deviceTokens?: number; segmentUsers?: number; pushResult?: number; inbox?: number };
  /** Called before a request is served. Returning "hold" leaves it without a response for good. */
  onRequest?: (request: RecordedRequest) => "hold" | void;
}

export interface NetmeraServer {
  url: string;
  requests: RecordedRequest[];
  inject(fault: Fault): void;
  /** Requests per endpoint, e.g. `{ "getSegmentUsers": 3 }`. */
  counts(): Record<string, number>;
  close(): Promise<void>;
}

const PREFIX = "/rest/3.0/";

export async function startNetmeraServer(options: NetmeraServerOptions): Promise<NetmeraServer> {
  const faults: Array<Fault & { left: number }> = [];
  const requests: RecordedRequest[] = [];
  const opaque = new Map<string, number>();
  let origin = "";

  const server: Server = createServer((req, res) => {
    void readBody(req).then((body) => {
      const url = new URL(req.url ?? "/", "http://placeholder");
      const record: RecordedRequest = {
        method: req.method ?? "GET",
        endpoint: url.pathname.startsWith(PREFIX)
          ? url.pathname.slice(PREFIX.length)
          : url.pathname,
        url: `${url.pathname}${url.search}`,
        body,
        apiKey: header(req, "x-netmera-api-key"),
        at: Date.now(),
        completed: false,
      };
      requests.push(record);
      res.on("finish", () => {
        record.completed = true;
      });
      if (options.onRequest?.(record) === "hold") {
        return;
      }

      const fault = takeFault(faults, record.endpoint, url.searchParams);
      void answer(res, record, url, fault);
    });
  });

  async function answer(res: ServerResponse, record: RecordedRequest, url: URL, fault?: Fault) {
    if (fault?.response.delayMs) {
      await new Promise((resolve) => setTimeout(resolve, fault.response.delayMs));
    }

    if (fault?.response.status !== undefined) {
      sendFault(res, fault.response);
      return;
    }

    if (record.apiKey !== options.apiKey) {
      sendJson(res, 403, { code: 2010, error: "Invalid API key" });
      return;
    }

    const routes: Record<string, () => [number, unknown]> = {
      "GET app/profile-attributes": () => [200, options.dataset.profileAttributes],
      "GET app/events": () => [200, options.dataset.events],
      "GET getSegments": () => [200, { list: options.dataset.segments.map(segmentSummary) }],
      "GET getSegmentUsers": () => segmentUsers(url.searchParams),
      "GET getDeviceTokens": () => deviceTokens(url.searchParams),
      "GET getProfileAttributes": () => profile(url.searchParams),
      "GET getDevices": () => devices(url.searchParams),
      "GET getPushStats": () => pushStats(url.searchParams),
      "GET getPushResult": () => pushResult(url.searchParams),
      "POST inbox/getAllInbox": () => inbox(record.body),
    };
    const route = routes[`${record.method} ${record.endpoint}`];
    if (!route) {
      sendProblem(res, 404, url.pathname);
      return;
    }

    const [status, body] = route();
    sendJson(res, status, body);
  }

  function nextLink(path: string, params: Record<string, string>): string {
    const link = `${path}?${new URLSearchParams(params).toString()}`;
    return options.nextPageForm === "relative" ? link : `${origin}${link}`;
  }

  function opaqueToken(scope: string, offset: number): string {
    const token = createHash("sha1").update(`${scope}|${offset}`).digest("base64url").slice(0, 14);
    opaque.set(`${scope}|${token}`, offset);
    return token;
  }

  function opaqueOffset(scope: string, token: string | null): number | undefined {
    return token === null ? 0 : opaque.get(`${scope}|${token}`);
  }

  /**
   * Slice one page and build its `nextPage`. `endOfList` sets how the last page is marked; in
   * the "empty-page" style every page links onwards, so the list ends with an empty page.
   */
  function page<T>(
    items: T[],
    offset: number,
    size: number,
    link: (offset: number) => string,
  ): { slice: T[]; nextPage: string | null | undefined } {
    const slice = items.slice(offset, offset + size);
    const more = offset + size < items.length;
    const style = options.endOfList ?? "absent";
    if (more || style === "empty-page") {
      return { slice, nextPage: link(offset + size) };
    }

    return { slice, nextPage: style === "null" ? null : undefined };
  }

  function segmentUsers(params: URLSearchParams): [number, unknown] {
    const segment = options.dataset.segments.find((item) => item.id === params.get("id"));
    if (!segment) {
      return [400, { code: 5042, error: "Segment not found" }];
    }

    if (segment.type === "CONNECTORS_SEGMENT") {
      return [400, { code: 2001, error: "Unexpected error occurred, please try again later" }];
    }

    const offset = opaqueOffset(`seg:${segment.id}`, params.get("offset"));
    if (offset === undefined) {
      return [400, { code: 2004, error: "Field 'offset' is invalid" }];
    }

    // Page size: minimum and default 100, maximum 1000.
    const max = Math.min(1000, Math.max(100, Number(params.get("max") ?? 100)));
    const size = Math.min(max, options.pageCaps?.segmentUsers ?? max);
    const members = segment.members ?? [];
    const { slice, nextPage } = page(members, offset, size, (next) =>
      nextLink("/rest/3.0/getSegmentUsers", {
        id: segment.id,
        max: String(max),
        offset: opaqueToken(`seg:${segment.id}`, next),
      }),
    );
    return [200, withNext({ name: segment.name, list: slice }, nextPage)];
  }

  function deviceTokens(params: URLSearchParams): [number, unknown] {
    const max = Number(params.get("max") ?? 10);
    const offset = Number(params.get("offset") ?? 0);
    const size = Math.min(max, options.pageCaps?.deviceTokens ?? max);
    const all = options.dataset.installations;
    const { slice, nextPage } = page(all, offset, size, (next) =>
      nextLink("/rest/3.0/getDeviceTokens", { max: String(max), offset: String(next) }),
    );
    return [200, withNext({ total: all.length, devices: slice }, nextPage)];
  }

  function profile(params: URLSearchParams): [number, unknown] {
    const extId = params.get("extId");
    if (!extId) {
      return [400, { code: 2020, error: "Parameter 'extId' is required" }];
    }

    const found = options.dataset.profiles[extId];
    if (!found) {
      return [400, { code: 5016, error: "External id not found" }];
    }

    return [200, { extId, profile: found }];
  }

  function devices(params: URLSearchParams): [number, unknown] {
    const extId = params.get("extId");
    if (!extId) {
      return [400, { code: 2020, error: "Parameter 'extId' is required" }];
    }

    const all = options.dataset.devices[extId] ?? [];
    const onlyPermitted = params.get("pushPermitted") !== "false";
    return [200, { extId, devices: all.filter((item) => !onlyPermitted || item.pushPermitted) }];
  }

  function pushStats(params: URLSearchParams): [number, unknown] {
    const start = Number(params.get("start"));
    const end = Number(params.get("end"));
    if (!params.get("start") || !params.get("end")) {
      return [400, { code: 2020, error: "Parameters 'start' and 'end' are required" }];
    }

    const messages = options.dataset.pushMessages.filter(
      (item) => item.startDate >= start && item.startDate <= end,
    );
    return [200, { messages }];
  }

  function pushResult(params: URLSearchParams): [number, unknown] {
    const key = params.get("notificationKey");
    if (!key) {
      return [400, { code: 2009, error: "notificationKey, extId or token is required" }];
    }

    const start = Number(params.get("start") ?? Date.now() - 14 * 86_400_000);
    const end = Number(params.get("end") ?? Date.now());
    const rows = (options.dataset.pushResults[key] ?? []).filter(
      (row) => Number(row.timeStamp) >= start && Number(row.timeStamp) <= end,
    );
    const scope = `push:${key}:${start}:${end}`;
    const offset = opaqueOffset(scope, params.get("offset"));
    if (offset === undefined) {
      return [400, { code: 2004, error: "Field 'offset' is invalid" }];
    }

    const max = Number(params.get("max") ?? 10);
    const size = Math.min(max, options.pageCaps?.pushResult ?? max);
    const { slice, nextPage } = page(rows, offset, size, (next) =>
      nextLink("/rest/3.0/getPushResult", {
        notificationKey: key,
        start: String(start),
        end: String(end),
        max: String(max),
        offset: opaqueToken(scope, next),
      }),
    );
    return [200, withNext({ list: slice }, nextPage)];
  }

  function inbox(raw: string): [number, unknown] {
    let body: Json;
    try {
      body = JSON.parse(raw) as Json;
    } catch {
      return [400, { code: 2009, error: "Invalid JSON" }];
    }

    const messages = options.dataset.inbox[String(body.extId)] ?? [];
    const size = Math.min(
      Number(body.numberOfNotification ?? 20),
      options.pageCaps?.inbox ?? Number.MAX_SAFE_INTEGER,
    );
    const after = (body.prms as Json | undefined)?.index;
    const start =
      after === undefined ? 0 : messages.findIndex((m) => m.pushInstanceId === after) + 1;
    const msgs = messages.slice(start, start + size);
    const last = msgs[msgs.length - 1];
    const result: Json = { msgs, cnts: { "7": messages.length } };
    if (start + size < messages.length && last) {
      result.prms = { index: last.pushInstanceId };
    }

    return [200, result];
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: origin,
    requests,
    inject(fault) {
      faults.push({ ...fault, left: fault.times ?? 1 });
    },
    counts() {
      const counts: Record<string, number> = {};
      for (const request of requests) {
        counts[request.endpoint] = (counts[request.endpoint] ?? 0) + 1;
      }

      return counts;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function segmentSummary(segment: SegmentFixture): Json {
  return { id: segment.id, name: segment.name, userCount: segment.userCount, type: segment.type };
}

function withNext(body: Json, nextPage: string | null | undefined): Json {
  return nextPage === undefined ? body : { ...body, nextPage };
}

function takeFault(
  faults: Array<Fault & { left: number }>,
  endpoint: string,
  query: URLSearchParams,
) {
  const fault = faults.find(
    (item) =>
      item.left > 0 &&
      item.endpoint === endpoint &&
      Object.entries(item.query ?? {}).every(([name, value]) => query.get(name) === value),
  );
  if (fault) {
    fault.left -= 1;
  }

  return fault;
}

function sendFault(res: ServerResponse, fault: FaultResponse): void {
  const headers: Record<string, string> = { ...fault.headers };
  let payload = "";
  if (fault.json !== undefined) {
    payload = JSON.stringify(fault.json);
    headers["content-type"] = fault.contentType ?? "application/json";
  } else if (fault.text !== undefined) {
    payload = fault.text;
    headers["content-type"] = fault.contentType ?? "text/plain;charset=UTF-8";
  }

  res.writeHead(fault.status ?? 200, headers);
  res.end(payload);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function sendProblem(res: ServerResponse, status: number, path: string): void {
  res.writeHead(status, { "content-type": "application/problem+json" });
  res.end(
    JSON.stringify({
      type: "about:blank",
      title: "Not Found",
      status,
      detail: `No endpoint ${path}.`,
      instance: path,
    }),
  );
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
