import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../bridge/src/core/log.js";
import { runPull } from "../bridge/src/netmera/pull.js";
import type { PullOptions } from "../bridge/src/netmera/pull-options.js";
import { API_KEY, makeDataset, SINCE, UNTIL } from "./fixtures/pull/dataset.js";
import { makeExportsDir } from "./fixtures/pull/exports-dir.js";
import {
  startNetmeraServer,
  type NetmeraServer,
  type NetmeraServerOptions,
} from "./support/netmera-server.js";

const NOW = new Date("2025-04-01T08:00:00.000Z");
const servers: NetmeraServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(options: Partial<NetmeraServerOptions> = {}): Promise<NetmeraServer> {
  const server = await startNetmeraServer({
    apiKey: API_KEY,
    dataset: makeDataset(),
    pageCaps: { deviceTokens: 5, segmentUsers: 2, pushResult: 10, inbox: 2 },
    ...options,
  });
  servers.push(server);
  return server;
}

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString("utf8") };
}

async function newFolder(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), "pull-run-")), "snapshot");
}

async function pull(server: NetmeraServer, overrides: Partial<PullOptions> = {}) {
  const stderr = collect();
  const logs = collect();
  const options: PullOptions = {
    out: overrides.out ?? (await newFolder()),
    exportsDir: await makeExportsDir(),
    apiKey: API_KEY,
    baseUrl: server.url,
    since: SINCE,
    until: UNTIL,
    requestsPerSecond: 1000,
    concurrency: 2,
    timeoutMs: 1000,
    backoff: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 100 },
    logger: createLogger({ level: "debug", destination: logs.stream }),
    progress: stderr.stream,
    now: () => NOW,
    random: () => 0.5,
    ...overrides,
  };
  const result = await runPull(options);
  return { result, out: options.out, stderr: stderr.text(), logs: logs.text() };
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
}

async function readLines(path: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(path, "utf8");
  return text
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const BASE_COUNTS = {
  "app/profile-attributes": 1,
  "app/events": 1,
  getSegments: 1,
  getSegmentUsers: 8,
  getDeviceTokens: 3,
  getPushStats: 3,
  getPushResult: 4,
  getProfileAttributes: 11,
  getDevices: 11,
};

const SNAPSHOT_FILES = [
  "campaigns.json",
  "coverage.json",
  "devices.json",
  "event-definitions.json",
  "journeys.json",
  "owners.csv",
  "profile-attributes.json",
  "profiles/part-00001.ndjson",
  "push-results/n-1001.json",
  "push-results/n-1002.json",
  "push-stats.json",
  "segment-rules.json",
  "segment-users/101.json",
  "segment-users/102.json",
  "segment-users/104.json",
  "segments.json",
  "tags/vip.csv",
  "user-devices/part-00001.ndjson",
  "users/app.xlsx",
  "users/segment-1.csv",
];

describe("runPull", () => {
  it("asks each endpoint the expected number of times", async () => {
    const server = await start();

    const { result } = await pull(server);

    expect(server.counts()).toEqual(BASE_COUNTS);
    expect(result.requests).toBe(43);
    expect(result.retries).toBe(0);
    expect(server.requests.every((request) => request.apiKey === API_KEY)).toBe(true);
  });

  it("writes the snapshot layout with a manifest of every file", async () => {
    const server = await start();

    const { out } = await pull(server);

    const manifest = await readJson(join(out, "manifest.json"));
    const files = manifest.files as Record<string, string>;
    expect(Object.keys(files)).toEqual(SNAPSHOT_FILES);
    for (const [path, hash] of Object.entries(files)) {
      const actual = createHash("sha256")
        .update(await readFile(join(out, path)))
        .digest("hex");
      expect(actual, path).toBe(hash);
    }
    expect(manifest.app).toBe("default");
    expect(manifest.pulledAt).toBe(NOW.toISOString());
    expect(manifest.sourceTimeZone).toBe("Europe/Istanbul");
    expect((await readdir(out)).sort()).not.toContain(".pull-state");
  });

  it("freezes segments with rules and membership", async () => {
    const server = await start();

    const { out } = await pull(server);

    const segments = (await readJson(join(out, "segments.json"))) as {
      frozenAt: string;
      list: Array<Record<string, unknown>>;
    };
    expect(segments.frozenAt).toBe(NOW.toISOString());
    expect(segments.list.map((segment) => [segment.id, segment.rule, segment.membership])).toEqual([
      [
        "101",
        "loyaltyPoints >= 20",
        { exportable: true, file: "segment-users/101.json", members: 5, reason: null },
      ],
      [
        "102",
        "city = 'İstanbul'",
        { exportable: true, file: "segment-users/102.json", members: 6, reason: null },
      ],
      [
        "103",
        null,
        {
          exportable: false,
          file: null,
          members: 0,
          reason:
            "Netmera GET /rest/3.0/getSegmentUsers (id=103, max=1000) failed: HTTP 400, Netmera code 2001: Unexpected error occurred, please try again later",
        },
      ],
      ["104", null, { exportable: true, file: "segment-users/104.json", members: 0, reason: null }],
    ]);
    expect(segments.list.every((segment) => segment.dynamic === true)).toBe(true);
    const members = await readJson(join(out, "segment-users/102.json"));
    expect(members.name).toBe("İstanbul");
    expect(members.list).toEqual(makeDataset().segments[1]!.members);
  });

  it("writes coverage of segments against all users", async () => {
    const server = await start();

    const { out } = await pull(server);

    const coverage = await readJson(join(out, "coverage.json"));
    expect(coverage).toEqual({
      totalUsers: 11,
      usersInSegments: 8,
      usersInNoSegment: 3,
      percentInSegments: 72.73,
      sources: { installationScan: 9, exportFiles: 4, segmentMembers: 8 },
      anonymousInstallations: 2,
      segmentsNotExported: [
        {
          id: "103",
          name: "Connector iOS",
          type: "CONNECTORS_SEGMENT",
          reason:
            "Netmera GET /rest/3.0/getSegmentUsers (id=103, max=1000) failed: HTTP 400, Netmera code 2001: Unexpected error occurred, please try again later",
        },
      ],
      exportFiles: [
        { file: "users/app.xlsx", rows: 2, rowsWithoutExtId: 1, hasExtIdColumn: true },
        { file: "users/segment-1.csv", rows: 4, rowsWithoutExtId: 1, hasExtIdColumn: true },
      ],
      notInAnySegment: ["u09", "u10", "u11"],
    });
  });

  it("stores installations, profiles, devices and push data", async () => {
    const server = await start();
    const dataset = makeDataset();

    const { out } = await pull(server);

    const devices = await readJson(join(out, "devices.json"));
    expect(devices).toEqual({ total: 12, devices: dataset.installations });
    const profiles = await readLines(join(out, "profiles/part-00001.ndjson"));
    expect(profiles.map((line) => line.extId)).toEqual([
      "u01",
      "u02",
      "u03",
      "u04",
      "u05",
      "u06",
      "u07",
      "u08",
      "u09",
      "u10",
      "u11",
    ]);
    expect(profiles[0]).toEqual({ extId: "u01", profile: dataset.profiles.u01 });
    expect(profiles[10]).toEqual({
      extId: "u11",
      error: {
        netmeraCode: 5016,
        message:
          "Netmera GET /rest/3.0/getProfileAttributes (extId=u11) failed: HTTP 400, Netmera code 5016: External id not found",
      },
    });
    const userDevices = await readLines(join(out, "user-devices/part-00001.ndjson"));
    expect(userDevices[2]).toEqual({ extId: "u03", devices: dataset.devices.u03 });
    expect(userDevices[10]).toEqual({ extId: "u11", devices: [] });
    const stats = await readJson(join(out, "push-stats.json"));
    expect(stats).toEqual({
      since: SINCE.toISOString(),
      until: UNTIL.toISOString(),
      windows: 3,
      messages: dataset.pushMessages.slice(0, 2),
    });
    const results = await readJson(join(out, "push-results/n-1002.json"));
    expect(results).toEqual({
      notificationKey: "n-1002",
      start: Date.UTC(2025, 1, 1),
      end: UNTIL.getTime(),
      list: dataset.pushResults["n-1002"],
    });
  });

  it("builds campaigns from push statistics", async () => {
    const server = await start();
    const dataset = makeDataset();

    const { out } = await pull(server);

    const campaigns = await readJson(join(out, "campaigns.json"));
    expect(campaigns).toEqual({
      campaigns: [
        {
          id: "n-1001",
          notificationKey: "n-1001",
          name: "Kampanya n-1001",
          channel: "PUSH",
          status: "FINISHED",
          startDate: dataset.pushMessages[0]!.startDate,
          endDate: dataset.pushMessages[0]!.endDate,
          content: { title: "Kampanya n-1001", text: "İndirim başladı" },
          stats: dataset.pushMessages[0]!.stats,
          source: "getPushStats",
        },
        expect.objectContaining({ id: "n-1002", name: "Kampanya n-1002" }),
      ],
    });
  });

  it("keeps campaigns.json from the exports", async () => {
    const server = await start();
    const exportsDir = await makeExportsDir();
    await writeFile(
      join(exportsDir, "campaigns.json"),
      '{"campaigns":[{"id":"c1","name":"Bahar"}]}',
    );

    const { out, stderr } = await pull(server, { exportsDir });

    expect(await readFile(join(out, "campaigns.json"), "utf8")).toBe(
      '{"campaigns":[{"id":"c1","name":"Bahar"}]}',
    );
    expect(stderr).toContain("pull: campaigns.json: kept the campaigns.json of the exports folder");
  });

  it("asks push statistics by monthly windows in epoch ms", async () => {
    const server = await start();

    await pull(server);

    const windows = server.requests
      .filter((request) => request.endpoint === "getPushStats")
      .map((request) => new URL(request.url, server.url).searchParams.toString());
    expect(windows).toEqual([
      "start=1735689600000&end=1738367999999",
      "start=1738368000000&end=1740787199999",
      "start=1740787200000&end=1743465599999",
    ]);
  });

  it.each([
    ["absent", BASE_COUNTS],
    ["null", BASE_COUNTS],
    ["empty-page", { ...BASE_COUNTS, getSegmentUsers: 10, getDeviceTokens: 4, getPushResult: 6 }],
  ] as const)("ends lists whose last page has nextPage %s", async (endOfList, counts) => {
    const server = await start({ endOfList });

    const { out } = await pull(server);

    expect(server.counts()).toEqual(counts);
    const devices = await readJson(join(out, "devices.json"));
    expect(devices.devices).toHaveLength(12);
  });

  it("follows host-relative nextPage links verbatim", async () => {
    const server = await start({ nextPageForm: "relative" });

    const { out } = await pull(server);

    const pages = server.requests
      .filter((request) => request.endpoint === "getSegmentUsers")
      .map((request) => request.url);
    expect(pages[0]).toBe("/rest/3.0/getSegmentUsers?id=101&max=1000");
    expect(pages[1]).toMatch(/^\/rest\/3\.0\/getSegmentUsers\?id=101&max=1000&offset=[\w-]{14}$/);
    const members = await readJson(join(out, "segment-users/101.json"));
    expect(members.list).toHaveLength(5);
  });

  it("reads every user's inbox by cursor", async () => {
    const server = await start();

    const { out } = await pull(server, { inbox: true });

    expect(server.counts()["inbox/getAllInbox"]).toBe(13);
    const bodies = server.requests
      .filter((request) => request.endpoint === "inbox/getAllInbox")
      .map((request) => JSON.parse(request.body) as Record<string, unknown>)
      .filter((body) => body.extId === "u01");
    expect(bodies.map((body) => body.prms ?? null)).toEqual([
      null,
      { index: "pi-1" },
      { index: "pi-3" },
    ]);
    const inbox = await readLines(join(out, "inbox/part-00001.ndjson"));
    expect(inbox[0]).toEqual({ extId: "u01", msgs: makeDataset().inbox.u01 });
    expect(inbox[1]).toEqual({ extId: "u02", msgs: [] });
  });

  it("splits per-user files into parts", async () => {
    const server = await start();

    const { out } = await pull(server, { partSize: 4 });

    const parts = (await readdir(join(out, "profiles"))).sort();
    expect(parts).toEqual(["part-00001.ndjson", "part-00002.ndjson", "part-00003.ndjson"]);
    expect(await readLines(join(out, "profiles/part-00003.ndjson"))).toHaveLength(3);
  });

  it("keeps the key and push tokens out of logs and progress", async () => {
    const server = await start();
    server.inject({ endpoint: "getDeviceTokens", response: { status: 503, text: "busy" } });

    const { out, stderr, logs } = await pull(server);

    expect(stderr).toContain("pull: installation scan: 12 installations, 2 without extId");
    expect(logs).toContain("netmera request failed, retrying");
    for (const text of [stderr, logs]) {
      expect(text).not.toContain(API_KEY);
      expect(text).not.toContain("SECRET");
    }
    const manifest = await readJson(join(out, "manifest.json"));
    for (const path of Object.keys(manifest.files as object)) {
      expect(await readFile(join(out, path), "latin1"), path).not.toContain(API_KEY);
    }
    expect(await readFile(join(out, "devices.json"), "utf8")).toContain("tok-SECRET-1");
  });

  it("retries a 429 inside a list and counts the retry", async () => {
    const server = await start();
    server.inject({
      endpoint: "getSegmentUsers",
      query: { id: "102" },
      response: { status: 429, headers: { "retry-after": "0" }, text: "Too Many Requests" },
    });

    const { result } = await pull(server);

    expect(result.retries).toBe(1);
    expect(server.counts().getSegmentUsers).toBe(9);
  });
});

describe("runPull with a misbehaving server", () => {
  it("stops on a nextPage link to the page just read", async () => {
    const server = await start();
    const dataset = makeDataset();
    server.inject({
      endpoint: "getDeviceTokens",
      response: {
        status: 200,
        json: {
          total: 12,
          devices: dataset.installations.slice(0, 1),
          nextPage: `${server.url}/rest/3.0/getDeviceTokens?max=1000&offset=0`,
        },
      },
    });

    await expect(pull(server)).rejects.toThrow(
      `Netmera GET /rest/3.0/getDeviceTokens returned a nextPage link to the page just read (${server.url}/rest/3.0/getDeviceTokens?max=1000&offset=0); stopping to avoid an endless loop`,
    );
    expect(server.counts().getDeviceTokens).toBe(1);
  });

  it("does not follow a nextPage link to another host", async () => {
    const server = await start();
    server.inject({
      endpoint: "getSegmentUsers",
      response: {
        status: 200,
        json: {
          name: "VIP",
          list: [{ externalId: "u01" }],
          nextPage: "http://192.0.2.1/rest/3.0/x",
        },
      },
    });

    await expect(pull(server)).rejects.toThrow(
      "Netmera nextPage link points at another host (http://192.0.2.1) and is not followed, because the API key goes only to the configured host",
    );
    expect(server.requests.every((request) => request.apiKey === API_KEY)).toBe(true);
  });

  it("reports requests, rate and retries while a step runs", async () => {
    const server = await start();
    server.inject({ endpoint: "getDeviceTokens", response: { status: 500, text: "oops" } });
    server.inject({ endpoint: "getDeviceTokens", response: { delayMs: 300 } });

    const { stderr } = await pull(server, { progressIntervalMs: 100 });

    expect(stderr).toMatch(
      /^pull: installation scan: \d+ items \| \d+ requests, \d+\.\d req\/s, 1 retries$/m,
    );
  });
});

describe("runPull on an existing folder", () => {
  it("refuses a finished snapshot", async () => {
    const server = await start();
    const { out } = await pull(server);

    await expect(pull(server, { out })).rejects.toThrow(
      `${out} already contains a finished snapshot (manifest.json); snapshots are never modified, so pull into a new folder`,
    );
  });

  it("refuses a non-empty folder without a journal", async () => {
    const server = await start();
    const out = await newFolder();
    await mkdir(out);
    await writeFile(join(out, "note.txt"), "x");

    await expect(pull(server, { out })).rejects.toThrow(
      `${out} is not empty and contains no interrupted pull; pull into a new or empty folder`,
    );
    expect(server.requests).toHaveLength(0);
  });

  it("resumes after giving up without asking again for stored pages", async () => {
    const server = await start();
    const out = await newFolder();
    const exportsDir = await makeExportsDir();
    server.inject({
      endpoint: "getDeviceTokens",
      query: { offset: "5" },
      times: 3,
      response: { status: 503, json: { code: 2001, error: "Unexpected error, retry later" } },
    });

    await expect(pull(server, { out, exportsDir })).rejects.toThrow(
      "Netmera GET /rest/3.0/getDeviceTokens (max=1000, offset=5) failed after 3 attempts: HTTP 503, Netmera code 2001: Unexpected error, retry later",
    );
    expect(existsSync(join(out, "manifest.json"))).toBe(false);
    const first = server.requests.length;
    const { stderr } = await pull(server, { out, exportsDir });

    const second = server.requests.slice(first);
    const scan = second.filter((request) => request.endpoint === "getDeviceTokens");
    expect(scan.map((request) => request.url)).toEqual([
      "/rest/3.0/getDeviceTokens?max=1000&offset=5",
      "/rest/3.0/getDeviceTokens?max=1000&offset=10",
    ]);
    expect(second.filter((request) => request.endpoint === "getSegmentUsers")).toHaveLength(0);
    expect(second).toHaveLength(43 - 3 - 8 - 1 - 1 - 1 + 2);
    expect(stderr).toContain("pull: resuming the interrupted pull in");

    const reference = await start();
    const { out: clean } = await pull(reference, { exportsDir });
    expect(await readJson(join(out, "manifest.json"))).toEqual(
      await readJson(join(clean, "manifest.json")),
    );
  });

  it("rejects a resumed pull with another window", async () => {
    const server = await start();
    const out = await newFolder();
    const exportsDir = await makeExportsDir();
    server.inject({ endpoint: "getSegments", times: 3, response: { status: 502, text: "" } });
    await expect(pull(server, { out, exportsDir })).rejects.toThrow(
      "failed after 3 attempts: HTTP 502: (empty body)",
    );

    await expect(
      pull(server, { out, exportsDir, since: new Date("2024-01-01T00:00:00Z") }),
    ).rejects.toThrow(
      `the interrupted pull in ${out} used since "2025-01-01T00:00:00.000Z", not "2024-01-01T00:00:00.000Z"; resume with the same options or pull into a new folder`,
    );
  });

  it("finishes a pull killed between journal removal and manifest", async () => {
    const server = await start();
    const { out } = await pull(server);
    await rename(join(out, "manifest.json"), join(out, "manifest.json.pending"));
    const before = server.requests.length;

    const { result } = await pull(server, { out });

    expect(result.resumed).toBe(true);
    expect(server.requests.length).toBe(before);
    expect(existsSync(join(out, "manifest.json"))).toBe(true);
  });

  it("rejects a page size above 1000", async () => {
    const server = await start();

    await expect(pull(server, { pageSize: 1001 })).rejects.toThrow(
      "page size 1001 is invalid; use a whole number from 1 to 1000",
    );
    expect(server.requests).toHaveLength(0);
  });

  it("does not copy export files again on resume", async () => {
    const server = await start();
    const out = await newFolder();
    const exportsDir = await makeExportsDir();
    const usersFile = join(exportsDir, "users", "segment-1.csv");
    const goodUsers = await readFile(usersFile);
    await writeFile(usersFile, 'External ID;Email\nu01;"open\n');
    await expect(pull(server, { out, exportsDir })).rejects.toThrow(
      /^users\/segment-1\.csv: cannot be read as utf8 CSV with delimiter ";"/,
    );
    await writeFile(usersFile, goodUsers);
    await writeFile(join(exportsDir, "owners.csv"), "name,surname,email\nchanged,,x@y.z\n");

    await pull(server, { out, exportsDir });

    expect(await readFile(join(out, "owners.csv"), "utf8")).toBe(
      "name,surname,email\nSelin,Kaya,selin@example.com.tr\n",
    );
    expect(await readFile(join(out, "users", "segment-1.csv"))).toEqual(goodUsers);
    expect(server.requests).toHaveLength(43);
  });

  it("rejects an exports folder that does not exist", async () => {
    const server = await start();
    const out = await newFolder();
    const exportsDir = join(out, "..", "missing");

    await expect(pull(server, { out, exportsDir })).rejects.toThrow(
      `--exports ${exportsDir} cannot be read: ENOENT`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it("rejects a snapshot folder inside the exports", async () => {
    const server = await start();
    const exportsDir = await makeExportsDir();
    const out = join(exportsDir, "snapshot");

    await expect(pull(server, { out, exportsDir })).rejects.toThrow(
      `--exports ${exportsDir} and --out ${out} overlap; keep the snapshot folder outside the exports folder`,
    );
  });

  it("rejects an export file named like a pulled file", async () => {
    const server = await start();
    const exportsDir = await makeExportsDir();
    await writeFile(join(exportsDir, "segments.json"), "{}");

    await expect(pull(server, { exportsDir })).rejects.toThrow(
      "export file segments.json has the name of a file that pull writes from the REST API; rename or remove it from the exports folder",
    );
  });
});
