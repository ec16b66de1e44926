import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { UploadLimits } from "../bridge/src/server/snapshot-store.js";
import { snapshotHashOf } from "../bridge/src/snapshot/manifest.js";
import { buildZip, type ZipEntrySpec, uploadZip } from "./serve-fixtures.js";

const TOKEN = "snapshot-upload-token-0123456789abcdef";

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function manifestFor(files: Record<string, string>): string {
  const hashes = Object.fromEntries(
    Object.entries(files).map(([path, text]) => [path, sha256(text)]),
  );
  return JSON.stringify({ app: "demo", pulledAt: "2026-12-01T10:00:00Z", files: hashes });
}

let root: string;
let dataDir: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "serve-snap-"));
  dataDir = join(root, "data");
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function upload(body: Buffer, limits: Partial<UploadLimits> = {}) {
  return uploadZip(TOKEN, dataDir, body, limits);
}

/** Nothing but finished snapshots may remain: no temporary zips or half-unpacked folders. */
function leftovers(): string[] {
  const incoming = join(dataDir, "incoming");
  return existsSync(incoming) ? readdirSync(incoming) : [];
}

function snapshotFolders(): string[] {
  const dir = join(dataDir, "snapshots");
  return existsSync(dir) ? readdirSync(dir).filter((name) => !name.endsWith(".json")) : [];
}

describe("snapshot upload", () => {
  it("unpacks a zip into a new snapshot folder", async () => {
    const users = "extId;email\nu1;a@example.com\n";
    const tags = "extId\nu1\n";
    const manifest = manifestFor({ "users/segment-1.csv": users, "tags/vip müşteri.csv": tags });
    const zip = buildZip([
      { name: "manifest.json", data: manifest },
      { name: "users/", mode: 0o040755 },
      { name: "users/segment-1.csv", data: users, deflate: true },
      { name: "tags/vip müşteri.csv", data: tags },
    ]);
    const response = await upload(zip);
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      snapshotId: expect.stringMatching(/^upload-[0-9a-f]{16}$/),
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      snapshotHash: snapshotHashOf({
        "tags/vip müşteri.csv": sha256(tags),
        "users/segment-1.csv": sha256(users),
      }),
      files: 3,
      unpackedBytes: Buffer.byteLength(manifest) + users.length + tags.length,
      verified: true,
      existing: false,
    });
    const dir = join(dataDir, "snapshots", response.body.snapshotId);
    expect(readFileSync(join(dir, "users/segment-1.csv"), "utf8")).toBe(users);
    expect(readFileSync(join(dir, "tags/vip müşteri.csv"), "utf8")).toBe(tags);
    expect(readdirSync(dir).sort()).toEqual(["manifest.json", "tags", "users"]);
    expect(leftovers()).toEqual([]);

    const again = await upload(zip);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ ...response.body, existing: true });
  });

  it("replaces a stored copy that lost a file when the zip comes again", async () => {
    const users = "extId;email\nu1;a@example.com\n";
    const zip = buildZip([
      { name: "manifest.json", data: manifestFor({ "users/segment-1.csv": users }) },
      { name: "users/segment-1.csv", data: users },
    ]);
    const first = await upload(zip);
    const stored = join(dataDir, "snapshots", first.body.snapshotId, "users/segment-1.csv");
    rmSync(stored);

    const again = await upload(zip);
    expect(again.status).toBe(201);
    expect(again.body).toEqual({ ...first.body, existing: false });
    expect(readFileSync(stored, "utf8")).toBe(users);
    expect(leftovers()).toEqual([]);
  });

  it("reads a snapshot zipped inside one top-level folder", async () => {
    const users = "extId;email\nu1;a@example.com\n";
    const manifest = manifestFor({ "users/segment-1.csv": users });
    const response = await upload(
      buildZip([
        { name: "snapshot/", mode: 0o040755 },
        { name: "snapshot/manifest.json", data: manifest },
        { name: "snapshot/users/segment-1.csv", data: users, deflate: true },
      ]),
    );

    expect(response.status).toBe(201);
    expect(response.body.verified).toBe(true);
    expect(response.body.snapshotHash).toBe(
      snapshotHashOf({ "users/segment-1.csv": sha256(users) }),
    );
    const dir = join(dataDir, "snapshots", response.body.snapshotId);
    expect(readdirSync(dir).sort()).toEqual(["manifest.json", "users"]);
    expect(leftovers()).toEqual([]);
  });

  it("reads a Finder zip without its macOS metadata", async () => {
    const users = "extId;email\nu1;a@example.com\n";
    const manifest = manifestFor({ "users/segment-1.csv": users });
    const response = await upload(
      buildZip([
        { name: "small/manifest.json", data: manifest },
        { name: "small/.DS_Store", data: "\u0000\u0000\u0000\u0001Bud1" },
        { name: "small/users/segment-1.csv", data: users },
        { name: "__MACOSX/small/._manifest.json", data: "resource fork" },
      ]),
    );

    expect(response.status).toBe(201);
    expect(response.body.verified).toBe(true);
    expect(response.body.files).toBe(2);
    const dir = join(dataDir, "snapshots", response.body.snapshotId);
    expect(readdirSync(dir).sort()).toEqual(["manifest.json", "users"]);
  });

  it("keeps a lone users/ folder as part of the snapshot", async () => {
    const response = await upload(
      buildZip([
        { name: "users/kunden.csv", data: "extId\nu1\n" },
        { name: "users/musteri.csv", data: "extId\nu2\n" },
      ]),
    );

    expect(response.status).toBe(201);
    const dir = join(dataDir, "snapshots", response.body.snapshotId);
    expect(readdirSync(dir)).toEqual(["users"]);
    expect(readdirSync(join(dir, "users")).sort()).toEqual(["kunden.csv", "musteri.csv"]);
  });

  it("rejects a zip in which no file is read", async () => {
    const response = await upload(buildZip([{ name: "notes.txt", data: "hello" }]));

    expect(response.status).toBe(422);
    expect(response.body.error).toBe(
      "invalid snapshot: the upload contains no file that netmera-odoo reads " +
        "(users/, profiles/, tags/, devices/, events/, segments.json …); is it the snapshot folder?",
    );
    expect(snapshotFolders()).toEqual([]);
    expect(leftovers()).toEqual([]);
  });

  it("keeps a zip without manifest.json as unverified", async () => {
    const response = await upload(buildZip([{ name: "users/a.csv", data: "extId\nu1\n" }]));

    expect(response.status).toBe(201);
    expect(response.body.verified).toBe(false);
    expect(response.body.warning).toBe(
      "the archive has no manifest.json at its top level, so its files were not checked " +
        "against hashes; a snapshot written by pull has one",
    );
  });

  it("rejects an empty zip", async () => {
    const response = await upload(buildZip([]));

    expect(response.status).toBe(422);
    expect(response.body.code).toBe("invalid_snapshot");
    expect(response.body.error).toBe(
      "invalid snapshot: the archive contains no files; zip the snapshot folder that pull wrote (manifest.json " +
        "and the users/ folder at the top level of the zip)",
    );
    expect(snapshotFolders()).toEqual([]);
    expect(leftovers()).toEqual([]);
  });

  const unsafe: Array<[string, ZipEntrySpec[], string | RegExp]> = [
    [
      "a parent-folder path",
      [{ name: "../escaped.txt", data: "x" }],
      "archive rejected: invalid relative path: ../escaped.txt",
    ],
    [
      "a nested parent-folder path",
      [{ name: "users/../../escaped.txt", data: "x" }],
      "archive rejected: invalid relative path: users/../../escaped.txt",
    ],
    [
      "an absolute path",
      [{ name: "/tmp/escaped.txt", data: "x" }],
      "archive rejected: absolute path: /tmp/escaped.txt",
    ],
    [
      "a backslash path",
      [{ name: "..\\escaped.txt", data: "x" }],
      'archive rejected: entry "..\\escaped.txt" uses \\ between folder names, where zip files ' +
        "use /; make the zip again with a tool that writes /",
    ],
    [
      "a Windows folder separator",
      [{ name: "users\\segment-vip.csv", data: "extId\nu1\n" }],
      'archive rejected: entry "users\\segment-vip.csv" uses \\ between folder names, where zip ' +
        "files use /; make the zip again with a tool that writes /",
    ],
    [
      "a symbolic link",
      [{ name: "link", data: "/etc/passwd", mode: 0o120777 }],
      'archive entry "link" is a symbolic link',
    ],
    [
      "a device file",
      [{ name: "dev", data: "", mode: 0o020666 }],
      'archive entry "dev" is not a regular file or folder',
    ],
    [
      "a name longer than a file system takes",
      [{ name: `users/${"a".repeat(300)}.csv`, data: "x" }],
      `archive entry "users/${"a".repeat(74)}…" has a name part of 304 bytes; at most 255 are allowed`,
    ],
    [
      "a duplicate entry",
      [
        { name: "a.csv", data: "1" },
        { name: "a.csv", data: "2" },
      ],
      'archive entry "a.csv" appears twice',
    ],
    [
      "an entry that writes more than it declares",
      [{ name: "small.csv", data: Buffer.alloc(50_000), deflate: true, declaredSize: 10 }],
      'archive entry "small.csv" inflates to more than the 10 bytes its header declares',
    ],
  ];

  it.each(unsafe)("rejects %s", async (_label, entries, message) => {
    const response = await upload(buildZip([{ name: "ok.csv", data: "fine" }, ...entries]));
    expect(response.status).toBe(422);
    expect(response.body).toEqual({
      error: typeof message === "string" ? message : expect.stringMatching(message),
      code: "unsafe_archive",
      requestId: expect.any(String),
    });
    expect(existsSync(join(root, "escaped.txt"))).toBe(false);
    expect(existsSync(join(dataDir, "escaped.txt"))).toBe(false);
    expect(snapshotFolders()).toEqual([]);
    expect(leftovers()).toEqual([]);
  });

  it("rejects a snapshot that does not match its manifest", async () => {
    const manifest = manifestFor({ "users/a.csv": "extId\nu1\n" });
    const zip = buildZip([
      { name: "manifest.json", data: manifest },
      { name: "users/a.csv", data: "extId\nu2\n" },
      { name: "users/b.csv", data: "extId\nu3\n" },
    ]);
    const response = await upload(zip);
    expect(response.status).toBe(409);
    expect(response.body).toEqual({
      error:
        "upload no longer matches its manifest (changed: users/a.csv; added: users/b.csv); " +
        "pull a fresh snapshot instead of editing this one",
      code: "snapshot_tampered",
      requestId: expect.any(String),
    });
    expect(snapshotFolders()).toEqual([]);
    expect(leftovers()).toEqual([]);
  });

  it("hashes a snapshot without a manifest from its files", async () => {
    const response = await upload(buildZip([{ name: "owners.csv", data: "email\na@b.co\n" }]));
    expect(response.status).toBe(201);
    expect(response.body.snapshotHash).toBe(
      snapshotHashOf({ "owners.csv": sha256("email\na@b.co\n") }),
    );
  });

  it("rejects an archive that unpacks past the size cap", async () => {
    // 20 MB of zeros deflates to about 20 KB: the shape of a zip bomb.
    const bomb = buildZip([{ name: "zeros.csv", data: Buffer.alloc(20_000_000), deflate: true }]);
    expect(bomb.length).toBeLessThan(100_000);
    // A ratio cap this high lets the size cap be the one that stops it.
    const response = await upload(bomb, { maxUnpackedBytes: 1_000_000, maxRatio: 10_000 });
    expect(response.status).toBe(413);
    expect(response.body.error).toBe(
      'archive entry "zeros.csv" brings the archive to 20000000 bytes; the limit is 1000000 ' +
        "bytes in all (uploads.maxUnpackedBytes)",
    );
    expect(leftovers()).toEqual([]);
    expect(snapshotFolders()).toEqual([]);
  });

  it("rejects an archive with too many entries", async () => {
    const entries = Array.from({ length: 6 }, (_, index) => ({ name: `f${index}.csv`, data: "x" }));
    const response = await upload(buildZip(entries), { maxEntries: 5 });
    expect(response.status).toBe(422);
    expect(response.body.error).toBe("archive has 6 entries; at most 5 are accepted");
  });

  it("rejects an upload larger than the cap", async () => {
    const zip = buildZip([{ name: "big.csv", data: Buffer.alloc(5000, 65) }]);
    const response = await upload(zip, { maxUploadBytes: 1000 });
    expect(response.status).toBe(413);
    expect(response.body.error).toBe(
      `upload of ${zip.length} bytes is larger than 1000 bytes, the configured limit`,
    );
    expect(leftovers()).toEqual([]);
  });

  it("rejects a body that is not a zip", async () => {
    const response = await upload(Buffer.from("extId,email\nu1,a@example.com\n"));
    expect(response.status).toBe(422);
    expect(response.body.error).toMatch(/^upload is not a readable zip archive: /);
    expect(leftovers()).toEqual([]);
  });
});
