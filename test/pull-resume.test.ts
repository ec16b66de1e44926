import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { API_KEY, makeDataset, SINCE, UNTIL } from "./fixtures/pull/dataset.js";
import { makeExportsDir } from "./fixtures/pull/exports-dir.js";
import {
  startNetmeraServer,
  type NetmeraServer,
  type RecordedRequest,
} from "./support/netmera-server.js";

/** Runs the pull command in a child process, so that a test can SIGKILL it mid-pull. */
const CLI = ["--import", "tsx", join(import.meta.dirname, "fixtures", "pull", "run-pull.ts")];

interface CliRun {
  child: ChildProcess;
  done: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>;
}

function runCli(args: string[], apiKey = API_KEY): CliRun {
  const child = spawn(process.execPath, [...CLI, ...args], {
    cwd: join(import.meta.dirname, ".."),
    env: { ...process.env, NETMERA_API_KEY: apiKey },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const done = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Requests as comparable strings: method, path with query, and body. */
function keys(requests: RecordedRequest[]): string[] {
  return requests.map((request) => `${request.method} ${request.url} ${request.body}`);
}

/** File contents by path, with the pull's own timestamps blanked out. */
async function snapshotContents(out: string): Promise<Record<string, string>> {
  const manifest = JSON.parse(await readFile(join(out, "manifest.json"), "utf8")) as {
    files: Record<string, string>;
  };
  const contents: Record<string, string> = {};
  for (const path of Object.keys(manifest.files)) {
    const text = await readFile(join(out, path), "latin1");
    contents[path] = text.replace(/"frozenAt": ?"[^"]+"/g, '"frozenAt":"…"');
  }

  return contents;
}

let exportsDir: string;
let reference: { requests: string[]; contents: Record<string, string> };

function pullArgs(server: NetmeraServer, out: string, concurrency: number): string[] {
  return [
    "pull",
    "--out",
    out,
    "--exports",
    exportsDir,
    "--base-url",
    server.url,
    "--since",
    SINCE.toISOString(),
    "--until",
    UNTIL.toISOString(),
    "--rate",
    "500",
    "--concurrency",
    String(concurrency),
  ];
}

async function startServer(onRequest?: (request: RecordedRequest) => "hold" | void) {
  return startNetmeraServer({
    apiKey: API_KEY,
    dataset: makeDataset(),
    pageCaps: { deviceTokens: 5, segmentUsers: 2, pushResult: 10 },
    onRequest,
  });
}

beforeAll(async () => {
  exportsDir = await makeExportsDir();
  const server = await startServer();
  const out = join(await mkdtemp(join(tmpdir(), "pull-resume-")), "reference");
  const result = await runCli(pullArgs(server, out, 1)).done;
  await server.close();
  expect(result.code, result.stderr).toBe(0);
  reference = { requests: keys(server.requests), contents: await snapshotContents(out) };
});

/**
 * Kill the pull with SIGKILL when the server receives request number `killAt` (left
 * unanswered), start it again, and return what each run asked for.
 */
async function killAndResume(killAt: number, concurrency: number) {
  const out = join(await mkdtemp(join(tmpdir(), "pull-resume-")), "snapshot");
  const running: { first?: CliRun } = {};
  let seen = 0;
  let killed = false;
  const server = await startServer(() => {
    if (killed) {
      return "hold";
    }

    seen += 1;
    if (seen === killAt) {
      killed = true;
      running.first?.child.kill("SIGKILL");
      return "hold";
    }

    return undefined;
  });
  running.first = runCli(pullArgs(server, out, concurrency));
  const interrupted = await running.first.done;
  const firstRun = server.requests.slice();
  killed = false;
  seen = Number.NEGATIVE_INFINITY;

  const resumed = await runCli(pullArgs(server, out, concurrency)).done;
  const secondRun = server.requests.slice(firstRun.length);
  await server.close();
  return { out, interrupted, resumed, firstRun, secondRun };
}

describe("pull killed with SIGKILL", () => {
  it.each([
    [5, "segment membership"],
    [13, "installation scan"],
    [20, "push results"],
    [27, "per-user profiles"],
    [40, "per-user devices"],
  ])(
    "resumes after request %i (%s) without repeating work",
    { timeout: 180_000 },
    async (killAt) => {
      const run = await killAndResume(killAt, 1);

      expect(run.interrupted.signal).toBe("SIGKILL");
      expect(run.resumed.code, run.resumed.stderr).toBe(0);
      expect(run.resumed.stderr).toContain("pull: resuming the interrupted pull in");
      const completed = keys(run.firstRun.filter((request) => request.completed));
      expect(completed).toHaveLength(killAt - 1);
      const repeated = keys(run.secondRun).filter((key) => completed.includes(key));
      expect(repeated).toEqual([]);
      expect([...completed, ...keys(run.secondRun)].sort()).toEqual([...reference.requests].sort());
      expect(await snapshotContents(run.out)).toEqual(reference.contents);
    },
  );

  it("repeats at most the in-flight requests with four workers", { timeout: 180_000 }, async () => {
    const run = await killAndResume(30, 4);

    expect(run.interrupted.signal).toBe("SIGKILL");
    expect(run.resumed.code, run.resumed.stderr).toBe(0);
    const completed = keys(run.firstRun.filter((request) => request.completed));
    const repeated = keys(run.secondRun).filter((key) => completed.includes(key));
    expect(repeated.length).toBeLessThanOrEqual(3);
    expect(repeated.every((key) => key.startsWith("GET /rest/3.0/getProfileAttributes"))).toBe(
      true,
    );
    expect(await snapshotContents(run.out)).toEqual(reference.contents);
  });
});
