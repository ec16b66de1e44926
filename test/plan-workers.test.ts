import { readFileSync, readdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../bridge/src/core/log.js";
import { WorkerPool } from "../bridge/src/core/worker-pool.js";
import { parseWorkers } from "../bridge/src/commands/plan.js";
import { contactWorkerCount } from "../bridge/src/plan/phase-contacts.js";
import { generateSnapshot } from "../scripts/lib/generator/generate.js";
import { runCli, runCliOrThrow } from "./support/cli.js";

let work: string;
let snapshotDir: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "plan-workers-"));
  snapshotDir = join(work, "snapshot");
  // Enough users for several batches of 1,000 contacts, with every awkward case of the generator.
  generateSnapshot({ users: 3500, eventsPerUser: 1, seed: "workers", out: snapshotDir });
  await runCliOrThrow(["map", snapshotDir, "--out", work]);
}, 120_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** Read every file of a plan folder, the manifest without its creation time. */
function planFiles(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const text = readFileSync(path, "utf8");
    files.set(
      path.slice(dir.length + 1),
      entry.name === "manifest.json" ? text.replace(/"createdAt": "[^"]*"/, "") : text,
    );
  }
  return files;
}

describe("contacts built in worker threads", () => {
  it("writes the same plan as the main thread", async () => {
    const mapping = join(work, "mapping.json");
    const inline = join(work, "plan-inline");
    const threaded = join(work, "plan-threaded");
    await runCliOrThrow([
      "plan",
      snapshotDir,
      "--mapping",
      mapping,
      "--out",
      inline,
      "--workers",
      "0",
    ]);

    const lines = new PassThrough();
    let log = "";
    lines.on("data", (chunk: Buffer) => (log += chunk.toString("utf8")));
    const logger = createLogger({ level: "info", destination: lines, format: "human" });
    const result = await runCli(
      ["plan", snapshotDir, "--mapping", mapping, "--out", threaded, "--workers", "3"],
      process.env,
      logger,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(log).toContain("building contacts in worker threads (workers=3)");

    const expected = planFiles(inline);
    const actual = planFiles(threaded);
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [name, text] of expected) {
      expect(actual.get(name), name).toBe(text);
    }
    const contacts = expected.get("plan/contacts.ndjson") ?? "";
    expect(contacts.split("\n").length).toBeGreaterThan(3000);
  }, 180_000);

  it("rejects a bad worker count", async () => {
    const result = await runCli([
      "plan",
      snapshotDir,
      "--out",
      join(work, "x"),
      "--workers",
      "many",
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('invalid worker count "many": use auto or 0 to 64');
  });
});

describe("worker count", () => {
  it("parses auto and whole numbers", () => {
    expect(parseWorkers("auto")).toBe("auto");
    expect(parseWorkers("0")).toBe(0);
    expect(parseWorkers("4")).toBe(4);
    for (const text of ["-1", "65", "1.5", "", "two"]) {
      expect(() => parseWorkers(text), text).toThrow(/invalid worker count/);
    }
  });

  it("starts workers only for large snapshots", () => {
    expect(contactWorkerCount("auto", 49_999, 8)).toBe(0);
    expect(contactWorkerCount("auto", 50_000, 8)).toBe(4);
    expect(contactWorkerCount("auto", 50_000, 4)).toBe(3);
    expect(contactWorkerCount("auto", 50_000, 2)).toBe(0);
    expect(contactWorkerCount(undefined, 10)).toBe(0);
    expect(contactWorkerCount(2, 10)).toBe(2);
    expect(contactWorkerCount(0, 10_000_000)).toBe(0);
  });
});

describe("worker pool", () => {
  it("fails the task of a worker that throws and every later one", async () => {
    const module = join(work, "failing-worker.mjs");
    writeFileSync(
      module,
      [
        'import { parentPort } from "node:worker_threads";',
        "parentPort.on('message', ({ id, input }) => {",
        "  if (input === 'crash') throw new Error('worker crashed on purpose');",
        "  parentPort.postMessage({ id, result: input * 2 });",
        "});",
      ].join("\n"),
    );
    const pool = new WorkerPool<unknown, number>(new URL(`file://${module}`), 1, undefined);
    try {
      await expect(pool.run(21)).resolves.toBe(42);
      await expect(pool.run("crash")).rejects.toThrow("worker crashed on purpose");
      await expect(pool.run(1)).rejects.toThrow("worker crashed on purpose");
    } finally {
      await pool.close();
    }
  });

  it("fails tasks after an idle worker exits", async () => {
    const module = join(work, "exiting-worker.mjs");
    writeFileSync(module, "setTimeout(() => process.exit(3), 10);\n");
    const pool = new WorkerPool<unknown, number>(new URL(`file://${module}`), 1, undefined);
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      await expect(pool.run(1)).rejects.toThrow("a worker thread stopped with exit code 3");
    } finally {
      await pool.close();
    }
  });
});
