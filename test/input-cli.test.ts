import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../bridge/src/cli.js";
import { silentLogger } from "../bridge/src/core/log.js";
import { defaultMappingFile } from "../bridge/src/commands/plan.js";
import { openSnapshot } from "../bridge/src/snapshot/snapshot.js";
import { writeSnapshotManifest } from "./input-support.js";

const FIXTURE = join(import.meta.dirname, "fixtures/reader/plan-basic");
const MAPPING = join(import.meta.dirname, "fixtures/reader/plan-basic.mapping.json");
const work = mkdtempSync(join(tmpdir(), "input-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { out: "", err: "" };
  stdout.on("data", (chunk) => (chunks.out += String(chunk)));
  stderr.on("data", (chunk) => (chunks.err += String(chunk)));
  const code = await main(["node", "netmera-odoo", ...args], {
    stdout,
    stderr,
    env,
    logger: silentLogger,
  });
  return { code, ...chunks };
}

describe("missing snapshot folder", () => {
  const missing = join(work, "no-such-snapshot");
  const expected = `error: snapshot folder ${missing} does not exist\n`;
  const cases: [string, string[]][] = [
    ["audit", ["audit", missing, "--out", join(work, "audit")]],
    ["map", ["map", missing, "--out", join(work, "map")]],
    ["plan", ["plan", missing, "--mapping", MAPPING, "--out", join(work, "plan")]],
    [
      "export-csv",
      ["export-csv", missing, "--plan", work, "--mapping", MAPPING, "--out", join(work, "csv")],
    ],
  ];
  for (const [name, args] of cases) {
    it(`${name} prints one line`, async () => {
      const result = await run(args);
      expect(result.code).toBe(1);
      expect(result.err).toBe(expected);
    });
  }

  it("migrate prints one line", async () => {
    const result = await run(
      [
        "migrate",
        missing,
        "--mapping",
        MAPPING,
        "--odoo-url",
        "http://127.0.0.1:9",
        "--db",
        "input_none",
        "--user",
        "admin",
      ],
      { ODOO_PASSWORD: "admin" },
    );
    expect(result.code).toBe(1);
    expect(result.err).toBe(expected);
  });

  it("migrate with a plan folder prints one line", async () => {
    const result = await run(
      [
        "migrate",
        missing,
        "--plan",
        work,
        "--mapping",
        MAPPING,
        "--odoo-url",
        "http://127.0.0.1:9",
        "--db",
        "input_none",
        "--user",
        "admin",
      ],
      { ODOO_PASSWORD: "admin" },
    );
    expect(result.code).toBe(1);
    expect(result.err).toBe(expected);
  });

  it("inventory prints one line", async () => {
    const result = await run(["inventory", missing, "--out", join(work, "inventory")]);
    expect(result.code).toBe(1);
    expect(result.err).toBe(expected);
  });

  it("inventory gives up on a closed Odoo port after three tries", async () => {
    const server = createServer();
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    const { port } = server.address() as AddressInfo;
    await new Promise((done) => server.close(done));
    const snapshot = join(import.meta.dirname, "fixtures/inventory/snapshot");
    const url = `http://127.0.0.1:${port}`;
    const result = await run(
      ["inventory", snapshot, "--out", join(work, "inventory-closed"), "--run", "3"].concat([
        "--odoo-url",
        url,
        "--db",
        "crm",
        "--user",
        "admin",
      ]),
      { ODOO_PASSWORD: "admin" },
    );
    expect(result.code).toBe(1);
    expect(result.err).toContain(
      `error: Odoo call common.authenticate to ${url}/xmlrpc/2/common failed (3 tries)`,
    );
  });

  it("rejects a file given as the snapshot folder", async () => {
    const result = await run(["audit", MAPPING, "--out", join(work, "audit-file")]);
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      `error: snapshot ${MAPPING} is a file, not a folder; unzip it or pass the folder that holds manifest.json\n`,
    );
  });
});

describe("--out folders", () => {
  it("map creates a missing --out folder", async () => {
    const out = join(work, "map-out", "nested", "deeper");
    const result = await run(["map", FIXTURE, "--out", out]);
    expect(result.err).toBe("");
    expect(result.code).toBe(0);
    expect(existsSync(join(out, "mapping.json"))).toBe(true);
  });

  it("audit and plan create a missing --out folder", async () => {
    const auditOut = join(work, "audit-out", "nested");
    expect((await run(["audit", FIXTURE, "--out", auditOut])).code).toBe(0);
    expect(existsSync(join(auditOut, "audit.md"))).toBe(true);
    const planOut = join(work, "plan-out", "nested");
    const plan = await run(["plan", FIXTURE, "--mapping", MAPPING, "--out", planOut]);
    expect(plan.code).toBe(0);
    expect(existsSync(join(planOut, "reconciliation.json"))).toBe(true);
  });
});

describe("default mapping location", () => {
  it("plan reads OUT/mapping.json without --mapping", async () => {
    const out = join(work, "default-mapping");
    expect((await run(["map", FIXTURE, "--out", out])).code).toBe(0);
    expect(defaultMappingFile(out)).toBe(join(out, "mapping.json"));
    const result = await run(["plan", FIXTURE, "--out", out]);
    expect(result.code).toBe(0);
    expect(result.out).toContain(`plan written to ${out}`);
  });

  it("falls back to mapping.json in the current folder", () => {
    expect(defaultMappingFile(join(work, "empty-out"))).toBe(join(process.cwd(), "mapping.json"));
  });

  it("names a mapping.json added to a pulled snapshot", async () => {
    const snapshot = join(work, "pulled");
    cpSync(FIXTURE, snapshot, { recursive: true });
    await writeSnapshotManifest(snapshot);
    await openSnapshot(snapshot, { logger: silentLogger });
    writeFileSync(join(snapshot, "mapping.json"), readFileSync(MAPPING));
    await expect(openSnapshot(snapshot, { logger: silentLogger })).rejects.toThrow(
      `snapshot ${snapshot} no longer matches its manifest (added: mapping.json); move ` +
        "mapping.json out of the snapshot folder (map writes it to --out, default the current folder)",
    );
  });
});
