import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SnapshotFileError, SnapshotTamperedError } from "../bridge/src/core/errors.js";
import { silentLogger } from "../bridge/src/core/log.js";
import { computeSnapshotHash, openSnapshot } from "../bridge/src/snapshot/snapshot.js";

let root: string;

function sha(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

const FILES: Record<string, string> = {
  "users/a.csv": "extId,email\nu1,a@b.co\n",
  "segments.json": '{"list":[]}',
};

function writeSnapshot(withManifest: boolean): void {
  for (const [path, text] of Object.entries(FILES)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  if (withManifest) {
    const files = Object.fromEntries(
      Object.entries(FILES).map(([path, text]) => [path, sha(text)]),
    );
    writeFileSync(
      join(root, "manifest.json"),
      JSON.stringify({ app: "Demo", pulledAt: "2026-01-01T00:00:00Z", files }),
    );
  }
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "reader-manifest-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("openSnapshot", () => {
  it("verifies the manifest and defaults the time zone", async () => {
    writeSnapshot(true);
    const snapshot = await openSnapshot(root, { logger: silentLogger });
    expect(snapshot.app).toBe("Demo");
    expect(snapshot.sourceTimeZone).toBe("Europe/Istanbul");
    expect(snapshot.files).toEqual(["segments.json", "users/a.csv"]);
  });

  it("computes the snapshot hash from the file hashes", async () => {
    writeSnapshot(true);
    const expected = sha(
      `segments.json\t${sha(FILES["segments.json"] ?? "")}\nusers/a.csv\t${sha(FILES["users/a.csv"] ?? "")}\n`,
    );
    expect((await openSnapshot(root, { logger: silentLogger })).hash).toBe(expected);
  });

  it("gives the same hash without a manifest", async () => {
    writeSnapshot(true);
    const withManifest = await computeSnapshotHash(root, silentLogger);
    unlinkSync(join(root, "manifest.json"));
    expect(await computeSnapshotHash(root, silentLogger)).toBe(withManifest);
  });

  it("rejects a changed file", async () => {
    writeSnapshot(true);
    writeFileSync(join(root, "users/a.csv"), "extId,email\nu1,evil@b.co\n");
    await expect(openSnapshot(root, { logger: silentLogger })).rejects.toThrow(
      SnapshotTamperedError,
    );
    await expect(openSnapshot(root, { logger: silentLogger })).rejects.toThrow(
      /no longer matches its manifest \(changed: users\/a\.csv\)/,
    );
  });

  it("rejects added and removed files, naming each", async () => {
    writeSnapshot(true);
    writeFileSync(join(root, "users/b.csv"), "extId\nu2\n");
    unlinkSync(join(root, "segments.json"));
    await expect(openSnapshot(root, { logger: silentLogger })).rejects.toThrow(
      /\(added: users\/b\.csv; removed: segments\.json\)/,
    );
  });

  it("ignores dot-folders such as the pull journal", async () => {
    writeSnapshot(true);
    mkdirSync(join(root, ".journal"));
    writeFileSync(join(root, ".journal", "state.json"), "{}");
    await expect(openSnapshot(root, { logger: silentLogger })).resolves.toMatchObject({
      app: "Demo",
    });
  });

  it("rejects a manifest with a bad time zone", async () => {
    writeSnapshot(false);
    writeFileSync(
      join(root, "manifest.json"),
      JSON.stringify({ app: "x", pulledAt: "now", sourceTimeZone: "Mars/Olympus", files: {} }),
    );
    await expect(openSnapshot(root, { logger: silentLogger })).rejects.toThrow(SnapshotFileError);
  });
});
