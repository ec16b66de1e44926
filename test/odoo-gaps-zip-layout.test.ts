import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { snapshotHashOf } from "../bridge/src/snapshot/manifest.js";
import { buildZip, uploadZip } from "./serve-fixtures.js";

/**
 * `POST /snapshots` reads a snapshot at the top of the zip or inside one top-level folder. A
 * manifest one folder down beside other top-level entries is refused with a 400 that names
 * them, instead of passing as a snapshot whose hashes nobody checked.
 */

const TOKEN = "zip-layout-token-0123456789abcdef0123";
const USERS = "extId;email\nu1;a@example.com\n";

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

const MANIFEST = JSON.stringify({
  app: "demo",
  pulledAt: "2026-12-01T10:00:00Z",
  files: { "users/segment-1.csv": sha256(USERS) },
});

let dataDir: string;

beforeEach(() => {
  dataDir = join(mkdtempSync(join(tmpdir(), "gaps-zip-")), "data");
});

afterEach(() => {
  rmSync(join(dataDir, ".."), { recursive: true, force: true });
});

/** Snapshot folders kept and temporaries left behind under the data dir. */
function kept(): { snapshots: string[]; incoming: string[] } {
  const list = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
  return {
    snapshots: list(join(dataDir, "snapshots")),
    incoming: list(join(dataDir, "incoming")),
  };
}

describe("snapshot zip layout", () => {
  it("refuses a snapshot folder beside a second top-level folder, naming both", async () => {
    const response = await uploadZip(
      TOKEN,
      dataDir,
      buildZip([
        { name: "a/manifest.json", data: MANIFEST },
        { name: "a/users/segment-1.csv", data: USERS },
        { name: "b/notes.txt", data: "not part of the snapshot\n" },
      ]),
    );

    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      code: "bad_request",
      requestId: expect.any(String),
      error:
        "invalid snapshot layout: the archive has 2 top-level entries (a/, b/) and its " +
        "manifest one level down, in a/manifest.json. A snapshot sits at the top of the zip " +
        "or inside a single top-level folder: zip the snapshot folder alone",
    });
    expect(kept()).toEqual({ snapshots: [], incoming: [] });
  });

  it("names every folder that holds a manifest, and top-level files", async () => {
    const response = await uploadZip(
      TOKEN,
      dataDir,
      buildZip([
        { name: "old/manifest.json", data: MANIFEST },
        { name: "old/users/segment-1.csv", data: USERS },
        { name: "new/manifest.json", data: MANIFEST },
        { name: "new/users/segment-1.csv", data: USERS },
        { name: "README.txt", data: "two pulls\n" },
      ]),
    );

    expect(response.status).toBe(400);
    expect(response.body.error).toBe(
      "invalid snapshot layout: the archive has 3 top-level entries (README.txt, new/, old/) " +
        "and its manifest one level down, in new/manifest.json and old/manifest.json. A " +
        "snapshot sits at the top of the zip or inside a single top-level folder: zip the " +
        "snapshot folder alone",
    );
    expect(kept()).toEqual({ snapshots: [], incoming: [] });
  });

  it("still reads the snapshot inside a single top-level folder, verified", async () => {
    const response = await uploadZip(
      TOKEN,
      dataDir,
      buildZip([
        { name: "a/manifest.json", data: MANIFEST },
        { name: "a/users/segment-1.csv", data: USERS },
      ]),
    );

    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      verified: true,
      files: 2,
      snapshotHash: snapshotHashOf({ "users/segment-1.csv": sha256(USERS) }),
    });
  });

  it("still keeps a hand-made export with two top-level folders and no manifest", async () => {
    const response = await uploadZip(
      TOKEN,
      dataDir,
      buildZip([
        { name: "users/segment-1.csv", data: USERS },
        { name: "tags/vip.csv", data: "extId\nu1\n" },
      ]),
    );

    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ verified: false, files: 2 });
    expect(kept().snapshots).toHaveLength(2);
  });
});
