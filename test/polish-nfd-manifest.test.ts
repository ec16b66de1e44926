import { cpSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SnapshotTamperedError } from "../bridge/src/core/errors.js";
import { silentLogger } from "../bridge/src/core/log.js";
import { openSnapshot } from "../bridge/src/snapshot/snapshot.js";
import { REPO_ROOT } from "./support/odoo.js";

const SAMPLE = join(REPO_ROOT, "samples/small");
const TURKISH_FILE = "tags/sadık-müşteri.csv";

let root: string;
let snapshot: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "polish-nfd-manifest-"));
  snapshot = join(root, "snapshot");
  cpSync(SAMPLE, snapshot, { recursive: true });
  // The name as macOS spells it: "ı" has no decomposition, "ü" and "ş" become two code points.
  renameSync(join(snapshot, TURKISH_FILE), join(snapshot, TURKISH_FILE.normalize("NFD")));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe("manifest check of decomposed (NFD) file names", () => {
  it("matches an NFD file name to its NFC manifest line", async () => {
    const sample = await openSnapshot(SAMPLE, { logger: silentLogger, verify: true });

    const copied = await openSnapshot(snapshot, { logger: silentLogger, verify: true });

    expect(copied.hash).toBe(sample.hash);
  });

  it("still names a changed file whatever its Unicode form", async () => {
    writeFileSync(join(snapshot, TURKISH_FILE.normalize("NFD")), "extId\nchanged\n");

    const opened = openSnapshot(snapshot, { logger: silentLogger, verify: true });

    await expect(opened).rejects.toBeInstanceOf(SnapshotTamperedError);
    await expect(opened).rejects.toThrow(
      `snapshot ${snapshot} no longer matches its manifest (changed: ${TURKISH_FILE}); ` +
        "pull a fresh snapshot instead of editing this one",
    );
  });
});
