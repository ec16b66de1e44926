import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { entryName } from "../bridge/src/server/unzip.js";
import { openSnapshot } from "../bridge/src/snapshot/snapshot.js";
import { buildZip, listFiles, uploadZip } from "./serve-fixtures.js";
import { REPO_ROOT } from "./support/odoo.js";

const TOKEN = "zip-names-token-0123456789abcdefghij";
const SAMPLE = join(REPO_ROOT, "samples/small");
const TURKISH_FILE = "tags/sadık-müşteri.csv";

let root: string;
let dataDir: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "serve-names-"));
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

function hasZipCommand(): boolean {
  try {
    execFileSync("zip", ["-v"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Read general-purpose bit 11 of every central directory record of `zip` (no zip comment). */
function utf8Flags(zip: Buffer): boolean[] {
  const end = zip.length - 22;
  expect(zip.readUInt32LE(end)).toBe(0x06054b50);
  const flags: boolean[] = [];
  let at = zip.readUInt32LE(end + 16);
  for (let index = 0; index < zip.readUInt16LE(end + 10); index += 1) {
    expect(zip.readUInt32LE(at)).toBe(0x02014b50);
    flags.push((zip.readUInt16LE(at + 8) & 0x800) !== 0);
    at += 46 + zip.readUInt16LE(at + 28) + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return flags;
}

async function expectSampleAccepted(zip: Buffer): Promise<void> {
  const response = await upload(zip);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  const sample = await openSnapshot(SAMPLE, { logger: silentLogger, verify: true });
  expect(response.body.snapshotHash).toBe(sample.hash);
  expect(response.body.files).toBe(sampleFiles().length);
  const stored = join(dataDir, "snapshots", response.body.snapshotId, TURKISH_FILE);
  expect(readFileSync(stored)).toEqual(readFileSync(join(SAMPLE, TURKISH_FILE)));
}

describe("zip entry names", () => {
  it("reads a UTF-8 name without bit 11 as UTF-8, other bytes as CP437", () => {
    const turkish = Buffer.from("sadık-müşteri.csv", "utf8");
    expect(entryName(0, turkish, [])).toBe("sadık-müşteri.csv");
    expect(entryName(0x800, turkish, [])).toBe("sadık-müşteri.csv");
    // 0x81 and 0x94 are "ü" and "ö" in CP437 and no valid UTF-8.
    expect(entryName(0, Buffer.from([0x6d, 0x81, 0x73, 0x94]), [])).toBe("müsö");
    expect(entryName(0, Buffer.from("plain/name.csv"), [])).toBe("plain/name.csv");
  });

  it.skipIf(!hasZipCommand())(
    "accepts the sample snapshot zipped with Info-ZIP zip on Linux",
    async () => {
      const zipPath = join(root, "small.zip");
      execFileSync("zip", ["-q", "-r", "-X", zipPath, "."], { cwd: SAMPLE });
      const zip = readFileSync(zipPath);
      // Info-ZIP writes the UTF-8 names as they are, without the flag.
      expect(utf8Flags(zip).some(Boolean)).toBe(false);
      await expectSampleAccepted(zip);
    },
  );

  it("accepts the sample snapshot from a zip whose UTF-8 names lack the flag", async () => {
    const zip = buildZip(
      sampleFiles().map((name) => ({
        name,
        data: readFileSync(join(SAMPLE, name)),
        deflate: true,
        utf8Flag: false,
      })),
    );
    expect(utf8Flags(zip)).toEqual(sampleFiles().map(() => false));
    await expectSampleAccepted(zip);
  });

  it("unpacks a CP437 name from an old archiver under its CP437 reading", async () => {
    const zip = buildZip([
      {
        name: "users/m\u00fcs.csv",
        nameBytes: Buffer.from([
          ...Buffer.from("users/"),
          ...[0x6d, 0x81, 0x73, 0x2e, 0x63, 0x73, 0x76],
        ]),
        data: "extId\nu1\n",
        utf8Flag: false,
      },
    ]);
    const response = await upload(zip);
    expect(response.status).toBe(201);
    const folder = join(dataDir, "snapshots", response.body.snapshotId, "users");
    expect(readdirSync(folder)).toEqual(["müs.csv"]);
    expect(existsSync(join(folder, "müs.csv"))).toBe(true);
  });
});
