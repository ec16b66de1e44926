import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_UPLOAD_LIMITS } from "../bridge/src/server/app.js";
import { readServeConfig } from "../bridge/src/server/config.js";
import type { UploadLimits } from "../bridge/src/server/snapshot-store.js";
import { inflationGuard, type UnzipLimits } from "../bridge/src/server/unzip.js";
import { buildZip, deflatedZeros, uploadZip } from "./serve-fixtures.js";

const TOKEN = "zip-bomb-token-0123456789abcdefghij";
const MB = 1_000_000;
const MiB = 1024 * 1024;

let root: string;
let dataDir: string;
let bomb: { data: Buffer; crc: number; size: number };

beforeAll(async () => {
  bomb = await deflatedZeros(600 * MiB);
}, 120_000);

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "serve-bomb-"));
  dataDir = join(root, "data");
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function upload(body: Buffer, limits: Partial<UploadLimits> = {}) {
  return uploadZip(TOKEN, dataDir, body, limits);
}

/** Nothing may remain of a rejected upload: no zip, no half-unpacked folder, no snapshot. */
function expectNothingKept(): void {
  const incoming = join(dataDir, "incoming");
  expect(existsSync(incoming) ? readdirSync(incoming) : []).toEqual([]);
  const snapshots = join(dataDir, "snapshots");
  expect(existsSync(snapshots) ? readdirSync(snapshots) : []).toEqual([]);
}

/** A CSV of `rows` distinct user lines, about 60 bytes each, that deflates 5 to 10 times. */
function usersCsv(rows: number): string {
  const lines = ["extId;email;name;city"];
  for (let index = 0; index < rows; index += 1) {
    lines.push(`user-${index};user${index}@example.com.tr;Ayşe ${index % 97};İstanbul`);
  }
  return `${lines.join("\n")}\n`;
}

describe("zip bomb defences", () => {
  it("rejects a 611 KB zip that inflates to 600 MiB by its ratio, before writing", async () => {
    const zip = buildZip([
      { name: "owners.csv", data: "email\na@b.co\n" },
      { name: "events/2024-01.csv", deflated: bomb },
    ]);
    expect(zip.length).toBeGreaterThan(600_000);
    expect(zip.length).toBeLessThan(650_000);

    const response = await upload(zip);
    expect(response.status).toBe(413);
    const ratio = Math.round((600 * MiB) / bomb.data.length);
    expect(response.body).toEqual({
      error:
        `archive entry "events/2024-01.csv" declares 629145600 bytes from ${bomb.data.length} ` +
        `(${ratio}:1); the limit is 100:1 (uploads.maxRatio)`,
      code: "payload_too_large",
      requestId: expect.any(String),
    });
    expect(ratio).toBeGreaterThan(900);
    expectNothingKept();
  });

  it("stops inflating an entry whose header understates its size", async () => {
    // The header claims 1 MB, which passes every limit; the bytes inflate to 600 MiB.
    const zip = buildZip([
      { name: "owners.csv", data: "email\na@b.co\n" },
      { name: "users/all.csv", deflated: bomb, declaredSize: MB },
    ]);
    const response = await upload(zip);
    expect(response.status).toBe(422);
    expect(response.body.error).toBe(
      'archive entry "users/all.csv" inflates to more than the 1000000 bytes its header declares',
    );
    expectNothingKept();
  });

  it("rejects an entry whose header overstates its size", async () => {
    const zip = buildZip([{ name: "owners.csv", data: "email\na@b.co\n", declaredSize: 100 }]);
    const response = await upload(zip);
    expect(response.status).toBe(422);
    expect(response.body.error).toBe(
      'archive entry "owners.csv" inflates to 13 bytes, not the 100 its header declares',
    );
    expectNothingKept();
  });

  it("accepts real CSV under the default ratio and applies a configured one", async () => {
    const csv = usersCsv(40_000);
    const zip = buildZip([{ name: "users/all.csv", data: csv, deflate: true }]);
    const ratio = Buffer.byteLength(csv) / (zip.length - 200);
    expect(ratio).toBeGreaterThan(3);
    expect(ratio).toBeLessThan(20);

    const accepted = await upload(zip);
    expect(accepted.status).toBe(201);
    expect(accepted.body.unpackedBytes).toBe(Buffer.byteLength(csv));

    rmSync(dataDir, { recursive: true, force: true });
    const rejected = await upload(zip, { maxRatio: 2 });
    expect(rejected.status).toBe(413);
    expect(rejected.body.error).toMatch(
      /^archive entry "users\/all\.csv" declares \d+ bytes from \d+ \(\d+:1\); the limit is 2:1 \(uploads\.maxRatio\)$/,
    );
    expectNothingKept();
  });

  it("names the entry that passes the per-entry and the total size", async () => {
    const entries = [
      { name: "a.csv", data: usersCsv(20_000), deflate: true },
      { name: "b.csv", data: usersCsv(20_000), deflate: true },
    ];
    const size = Buffer.byteLength(entries[0]!.data);

    const perEntry = await upload(buildZip(entries), { maxEntryBytes: size - 1 });
    expect(perEntry.status).toBe(413);
    expect(perEntry.body.error).toBe(
      `archive entry "a.csv" declares ${size} bytes; the limit is ${size - 1} bytes per entry ` +
        "(uploads.maxEntryBytes)",
    );
    expectNothingKept();

    const total = await upload(buildZip(entries), { maxUnpackedBytes: size + 10 });
    expect(total.status).toBe(413);
    expect(total.body.error).toBe(
      `archive entry "b.csv" brings the archive to ${2 * size} bytes; the limit is ` +
        `${size + 10} bytes in all (uploads.maxUnpackedBytes)`,
    );
    expectNothingKept();
  });

  it("checks free disk space against the declared size before unpacking", async () => {
    const zip = buildZip([{ name: "users/all.csv", data: usersCsv(1000), deflate: true }]);
    const response = await upload(zip, { minFreeBytes: 2 ** 52 });
    expect(response.status).toBe(507);
    expect(response.body.error).toMatch(
      /^archive unpacks to \d+ bytes, but the data folder has \d+ bytes free and 4503599627370496 must stay free \(uploads\.minFreeBytes\)$/,
    );
    expectNothingKept();
  });
});

describe("inflation guard", () => {
  const limits: UnzipLimits = {
    ...DEFAULT_UPLOAD_LIMITS,
    maxEntryBytes: 8 * MB,
    maxUnpackedBytes: 10 * MB,
    maxRatio: 100,
  };

  /** Push `bytes` zeros through a guard and return the error it raised, with the bytes it let by. */
  async function feed(guard: ReturnType<typeof inflationGuard>, bytes: number) {
    const chunk = Buffer.alloc(64 * 1024);
    let passed = 0;
    async function* source() {
      for (let sent = 0; sent < bytes; sent += chunk.length) yield chunk;
    }
    const sink = new Writable({
      write(part: Buffer, _encoding, done) {
        passed += part.length;
        done();
      },
    });
    const error = await pipeline(Readable.from(source()), guard, sink).then(
      () => null,
      (failure: Error) => failure,
    );
    return { error: error?.message ?? null, passed };
  }

  it("measures the ratio on the bytes that come out, not on the header", async () => {
    const entry = { uncompressedSize: 50 * MB, compressedSize: 5_000 };
    const result = await feed(inflationGuard("x.csv", entry, limits, { bytes: 0 }), 4 * MB);
    expect(result.error).toBe(
      'archive entry "x.csv" inflates to more than 100 times its 5000 compressed bytes; ' +
        "the limit is 100:1 (uploads.maxRatio)",
    );
    // Stopped at the first chunk past the 1 MiB below which the ratio is not applied.
    expect(result.passed).toBe(1024 * 1024);
  });

  it("counts the per-entry and the archive total on real bytes", async () => {
    const entry = { uncompressedSize: 50 * MB, compressedSize: 5 * MB };
    const single = await feed(inflationGuard("big.csv", entry, limits, { bytes: 0 }), 9 * MB);
    expect(single.error).toBe(
      'archive entry "big.csv" inflates past 8000000 bytes; the limit is 8000000 bytes per ' +
        "entry (uploads.maxEntryBytes)",
    );
    expect(single.passed).toBeLessThanOrEqual(8 * MB);

    const total = { bytes: 0 };
    const first = await feed(
      inflationGuard("a.csv", { ...entry, uncompressedSize: 6 * MB }, limits, total),
      6 * MB,
    );
    expect(first.error).toBe(
      'archive entry "a.csv" inflates to more than the 6000000 bytes its header declares',
    );
    const second = await feed(inflationGuard("b.csv", entry, limits, total), 6 * MB);
    expect(second.error).toBe(
      'archive entry "b.csv" brings the archive past 10000000 bytes; the limit is 10000000 ' +
        "bytes in all (uploads.maxUnpackedBytes)",
    );
    expect(total.bytes).toBeGreaterThan(10 * MB);
  });
});

describe("upload limit settings", () => {
  it("reads the limits from the config file and rejects a ratio below 1", () => {
    const file = join(root, "serve.json");
    writeFileSync(
      file,
      JSON.stringify({
        uploads: { maxRatio: 50, maxEntryBytes: 1024, maxUnpackedBytes: 4096, minFreeBytes: 0 },
      }),
    );
    expect(readServeConfig(file).uploads).toEqual({
      maxRatio: 50,
      maxEntryBytes: 1024,
      maxUnpackedBytes: 4096,
      minFreeBytes: 0,
    });

    writeFileSync(file, JSON.stringify({ uploads: { maxRatio: 0.5 } }));
    expect(() => readServeConfig(file)).toThrow(/uploads\.maxRatio: /);
  });

  it("defaults to limits that fit a 2M-user, 100M-event snapshot", () => {
    expect(DEFAULT_UPLOAD_LIMITS).toEqual({
      maxUploadBytes: 8 * 1024 ** 3,
      maxUnpackedBytes: 32 * 1024 ** 3,
      maxEntryBytes: 16 * 1024 ** 3,
      maxRatio: 100,
      maxEntries: 100_000,
      minFreeBytes: 1024 ** 3,
    });
    // 100M events at the sample's 110 bytes a row fit one entry; 2M users at 290 fit beside.
    expect(100_000_000 * 110).toBeLessThan(DEFAULT_UPLOAD_LIMITS.maxEntryBytes);
    expect(100_000_000 * 110 + 2_000_000 * 290).toBeLessThan(
      DEFAULT_UPLOAD_LIMITS.maxUnpackedBytes,
    );
  });
});
