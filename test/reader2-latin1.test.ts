import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { runAudit } from "../bridge/src/audit/run-audit.js";
import { main } from "../bridge/src/cli.js";
import { createLogger, silentLogger } from "../bridge/src/core/log.js";
import { loadMapping } from "../bridge/src/mapping/store.js";
import { statedEncodingsOf } from "../bridge/src/mapping/types.js";
import {
  detectEncoding,
  guessWarning,
  parseEncodingName,
} from "../bridge/src/snapshot/encoding.js";
import {
  openSnapshot,
  parseEncodingOptions,
  stateEncodings,
} from "../bridge/src/snapshot/snapshot.js";
import { openTable } from "../bridge/src/snapshot/table.js";
import { writeSnapshotManifest } from "./input-support.js";

const FIXTURE = join(import.meta.dirname, "fixtures/reader/plan-basic");
const work = mkdtempSync(join(tmpdir(), "reader2-latin1-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Icelandic and Danish names in Latin-1, where ð, ø and ý are single bytes. */
const LATIN1_USERS = Buffer.from(
  "externalId,name,surname,email,city\n" +
    "T1,Guðrún,Jónsdóttir,g@example.com,Reykjavík\n" +
    "T2,Jiøí,Dvoýák,j@example.com,Brýne\n",
  "latin1",
);

let counter = 0;
async function snapshotWithLatin1(): Promise<string> {
  counter += 1;
  const root = join(work, `snapshot-${counter}`);
  cpSync(FIXTURE, root, { recursive: true });
  writeFileSync(join(root, "users/t.csv"), LATIN1_USERS);
  await writeSnapshotManifest(root);
  return root;
}

function capturingLogger() {
  const lines: { level: number; msg: string; file?: string; encoding?: string }[] = [];
  const logger = createLogger({
    level: "warn",
    destination: {
      write: (line: string) => lines.push(JSON.parse(line)),
    } as unknown as NodeJS.WritableStream,
  });
  return { logger, lines };
}

async function run(args: string[], logger = silentLogger) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { out: "", err: "" };
  stdout.on("data", (chunk) => (chunks.out += String(chunk)));
  stderr.on("data", (chunk) => (chunks.err += String(chunk)));
  const code = await main(["node", "netmera-odoo", ...args], { stdout, stderr, env: {}, logger });
  return { code, ...chunks };
}

function contactNamed(planDir: string, extId: string): Record<string, unknown> | undefined {
  const lines = readFileSync(join(planDir, "plan/contacts.ndjson"), "utf8").trim().split("\n");
  const rows = lines.map((line) => JSON.parse(line) as { values: Record<string, unknown> });
  return rows.find((row) => row.values.netmera_external_id === extId)?.values;
}

describe("encoding names", () => {
  it.each([
    ["latin1", "iso-8859-1"],
    ["ISO-8859-1", "iso-8859-1"],
    ["cp1252", "windows-1252"],
    ["Windows_1254", "windows-1254"],
    ["latin5", "iso-8859-9"],
    ["UTF8", "utf-8"],
  ])("reads %s", (name, encoding) => {
    expect(parseEncodingName(name)).toBe(encoding);
  });

  it("rejects an option without =", () => {
    expect(() => parseEncodingOptions(["users/t.csv"])).toThrow(
      '--encoding "users/t.csv" is invalid; write it as FILE=ENCODING, for example users/t.csv=latin1',
    );
  });

  it("rejects an unknown encoding and file", async () => {
    const root = await snapshotWithLatin1();
    const snapshot = await openSnapshot(root, { logger: silentLogger });
    expect(() => stateEncodings(snapshot, { "users/t.csv": "ebcdic" })).toThrow(
      '--encoding users/t.csv=ebcdic: unknown encoding "ebcdic"; use one of utf-8, utf-16le, ' +
        "utf-16be, windows-1254, iso-8859-9, iso-8859-1, windows-1252",
    );
    const textFiles = snapshot.files.filter((file) => file.endsWith(".csv"));
    expect(textFiles).toContain("users/t.csv");
    expect(() => stateEncodings(snapshot, { "users/x.csv": "latin1" })).toThrow(
      "an encoding is stated for users/x.csv (by --encoding or by options.encoding in " +
        `mapping.json), which is not a file of snapshot ${root}; give a path relative to ` +
        `the snapshot folder, one of: ${textFiles.slice(0, 10).join(", ")}`,
    );
  });

  it("rejects an encoding for a JSON file", async () => {
    const snapshot = await openSnapshot(await snapshotWithLatin1(), { logger: silentLogger });
    const json = snapshot.files.find((file) => file.endsWith(".json") && file !== "manifest.json");
    expect(json).toBeDefined();
    expect(() => stateEncodings(snapshot, { [json!]: "latin1" })).toThrow(
      `an encoding is stated for ${json} (by --encoding or by options.encoding in ` +
        "mapping.json), but JSON files are always read as UTF-8; convert the file to UTF-8 " +
        "instead, and state encodings only for CSV files",
    );
  });

  it("normalises ./ and backslashes in the file", () => {
    expect(parseEncodingOptions(["./users/t.csv=latin1", "users\\b.csv=utf-8"])).toEqual({
      "users/t.csv": "latin1",
      "users/b.csv": "utf-8",
    });
  });

  it("rejects a statement that contradicts a BOM", async () => {
    const root = await snapshotWithLatin1();
    const path = join(root, "users/t.csv");
    writeFileSync(
      path,
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("extId\nu1\n", "utf16le")]),
    );
    const snapshot = await openSnapshot(root, { logger: silentLogger, verify: false });
    stateEncodings(snapshot, { "users/t.csv": "windows-1254" });
    await expect(detectEncoding(path, "users/t.csv", silentLogger)).rejects.toThrow(
      "users/t.csv: starts with a UTF-16 LE byte-order mark, but its encoding is stated as " +
        "windows-1254; state utf-16le or remove the statement",
    );
    stateEncodings(snapshot, {});
  });
});

describe("guessed single-byte encoding", () => {
  it("warns once per file", async () => {
    const root = await snapshotWithLatin1();
    const { logger, lines } = capturingLogger();
    const path = join(root, "users/t.csv");
    const first = await detectEncoding(path, "users/t.csv", logger);
    await detectEncoding(path, "users/t.csv", logger);
    expect(first.encoding).toBe("windows-1254");
    expect(first.source).toBe("guessed");
    expect(lines).toHaveLength(1);
    expect(lines[0]?.msg).toBe(
      "users/t.csv is not UTF-8 and has no byte-order mark, so it is read as Windows-1254 " +
        "(Turkish); Latin-1 files read this way turn ð ý þ Ð Ý Þ into ğ ı ş Ğ İ Ş. If it is in " +
        "another encoding, state it with --encoding users/t.csv=latin1 (or windows-1252 …) on " +
        "map and audit",
    );
    expect(lines[0]?.encoding).toBe("windows-1254");
    expect(guessWarning("users/t.csv")).toBe(lines[0]?.msg);
  });

  it("map marks the file for review", async () => {
    const root = await snapshotWithLatin1();
    const out = join(work, `map-guess-${counter}`);
    expect((await run(["map", root, "--out", out])).code).toBe(0);
    const mapping = await loadMapping(join(out, "mapping.json"));
    const entry = mapping.entries.find(
      (e) => e.source.kind === "file" && e.source.name === "users/t.csv",
    );
    expect(entry?.review).toBe(true);
    expect(entry?.options?.encoding).toBeUndefined();
    expect(entry?.reason).toBe(
      "user export; one contact per extId, merged across files; read as Windows-1254 because " +
        "it is not UTF-8: check its letters, and if it is Latin-1 or another code page, set " +
        'options.encoding (such as "latin1") or map again with --encoding users/t.csv=latin1',
    );
  });
});

describe("stated encoding", () => {
  it("map records it and plan reads Latin-1 letters", async () => {
    const root = await snapshotWithLatin1();
    const out = join(work, `map-stated-${counter}`);
    const { logger, lines } = capturingLogger();
    const map = await run(["map", root, "--out", out, "--encoding", "users/t.csv=latin1"], logger);
    expect(map.code).toBe(0);
    expect(lines.filter((line) => line.file === "users/t.csv")).toEqual([]);

    const mapping = await loadMapping(join(out, "mapping.json"));
    expect(statedEncodingsOf(mapping)).toEqual({ "users/t.csv": "latin1" });
    const entry = mapping.entries.find((e) => e.source.name === "users/t.csv");
    expect(entry?.review).toBe(false);

    const plan = await run(["plan", root, "--mapping", join(out, "mapping.json"), "--out", out]);
    expect(plan.code).toBe(0);
    const t1 = contactNamed(out, "T1");
    expect(t1?.name).toBe("Guðrún Jónsdóttir");
    expect(t1?.city).toBe("Reykjavík");
    expect(contactNamed(out, "T2")?.city).toBe("Brýne");
  });

  it("audit records each file's encoding", async () => {
    const root = await snapshotWithLatin1();
    const out = join(work, `audit-${counter}`);
    const { report } = await runAudit(root, out, silentLogger, new Date(0), {
      "users/t.csv": "latin1",
    });
    const encodings = report.files.encodings;
    expect(encodings.find((f) => f.file === "users/t.csv")).toEqual({
      file: "users/t.csv",
      encoding: "iso-8859-1",
      chosen: "stated",
    });
    expect(encodings.find((f) => f.file === "users/people.csv")).toEqual({
      file: "users/people.csv",
      encoding: "utf-8",
      chosen: "detected",
    });
    const markdown = readFileSync(join(out, "audit.md"), "utf8");
    expect(markdown).toContain("| users/t.csv | iso-8859-1 | stated with --encoding |");
  });

  it("audit reports a guess", async () => {
    const root = await snapshotWithLatin1();
    const out = join(work, `audit-guess-${counter}`);
    const { report } = await runAudit(root, out, silentLogger);
    expect(report.files.encodings.find((f) => f.file === "users/t.csv")?.chosen).toBe("guessed");
    const markdown = readFileSync(join(out, "audit.md"), "utf8");
    expect(markdown).toContain(
      "| users/t.csv | windows-1254 | guessed: not UTF-8, so read as Windows-1254; check its letters |",
    );
  });
});

describe("an encoding stated wrongly", () => {
  async function readAll(root: string, encoding: string): Promise<unknown> {
    const snapshot = await openSnapshot(root, { logger: silentLogger });
    stateEncodings(snapshot, { "users/t.csv": encoding });
    try {
      const table = await openTable(join(root, "users/t.csv"), "users/t.csv", silentLogger);
      for await (const row of table.rows()) void row;
      return undefined;
    } catch (error) {
      return error;
    } finally {
      stateEncodings(snapshot, {});
    }
  }

  it("blames the statement for invalid UTF-8", async () => {
    const error = (await readAll(await snapshotWithLatin1(), "utf-8")) as Error;
    expect(error.message).toMatch(/^users\/t\.csv: invalid UTF-8 at byte offset \d+ /);
    expect(error.message).toContain(
      ", read as utf-8 as stated with --encoding (or options.encoding in mapping.json). The " +
        "stated encoding is probably wrong: remove the statement for users/t.csv, or state the " +
        "encoding the file was written in",
    );
  });
});
