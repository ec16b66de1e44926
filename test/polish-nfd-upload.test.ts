import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { openSnapshot } from "../bridge/src/snapshot/snapshot.js";
import { buildZip, listFiles, uploadZip } from "./serve-fixtures.js";
import { REPO_ROOT } from "./support/odoo.js";

const TOKEN = "polish-nfd-token-0123456789abcdefghij";
const SAMPLE = join(REPO_ROOT, "samples/small");
const TURKISH_FILE = "tags/sadık-müşteri.csv";

let root: string;
let dataDir: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "polish-nfd-"));
  dataDir = join(root, "data");
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function upload(body: Buffer) {
  return uploadZip(TOKEN, dataDir, body);
}

function sampleFiles(): string[] {
  return listFiles(SAMPLE);
}

describe("zip entry names in decomposed Unicode (NFD), as macOS writes them", () => {
  it("accepts the sample snapshot and stores its names composed (NFC)", async () => {
    const nfd = TURKISH_FILE.normalize("NFD");
    expect(nfd).not.toBe(TURKISH_FILE);
    const zip = buildZip(
      sampleFiles().map((name) => ({
        name: name.normalize("NFD"),
        data: readFileSync(join(SAMPLE, name)),
        deflate: true,
      })),
    );

    const response = await upload(zip);

    expect(response.status, JSON.stringify(response.body)).toBe(201);
    expect(response.body.verified).toBe(true);
    const sample = await openSnapshot(SAMPLE, { logger: silentLogger, verify: true });
    expect(response.body.snapshotHash).toBe(sample.hash);
    const tags = readdirSync(join(dataDir, "snapshots", response.body.snapshotId, "tags"));
    expect(tags).toContain("sadık-müşteri.csv");
    expect(tags).not.toContain("sadık-müşteri.csv".normalize("NFD"));
  });

  it("rejects two entries whose names differ only in Unicode form, naming both", async () => {
    const composed = "tags/müşteri.csv";
    const decomposed = composed.normalize("NFD");
    const zip = buildZip([
      { name: composed, data: "extId\nu1\n" },
      { name: decomposed, data: "extId\nu2\n" },
    ]);

    const response = await upload(zip);

    expect(response.status).toBe(422);
    expect(response.body.code).toBe("unsafe_archive");
    expect(response.body.error).toBe(
      `archive entries "${composed}" (composed, NFC) and "${decomposed}" (decomposed, NFD) ` +
        "are the same name in two Unicode forms; keep one of them",
    );
    expect(readdirSync(join(dataDir, "snapshots"))).toEqual([]);
  });
});
