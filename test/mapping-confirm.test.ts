import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { Command, CommanderError } from "commander";
import { BridgeError } from "../bridge/src/core/errors.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MappingUnconfirmedError, SnapshotTamperedError } from "../bridge/src/core/errors.js";
import { silentLogger } from "../bridge/src/core/log.js";
import { registerMap } from "../bridge/src/commands/map.js";
import { loadMapping, saveMapping } from "../bridge/src/mapping/store.js";
import { assertMappingConfirmed, confirmationState } from "../bridge/src/mapping/types.js";
import { openSnapshot } from "../bridge/src/snapshot/snapshot.js";
import { generateSnapshot } from "../scripts/lib/generator/generate.js";

let work: string;
let snapshotDir: string;

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (chunk) => (out += chunk));
  stderr.on("data", (chunk) => (err += chunk));
  // Only the commands under test are registered, the way cli.ts registers every command.
  const context = { stdout, stderr, env: {}, logger: silentLogger };
  const program = new Command("netmera-odoo").exitOverride();
  program.configureOutput({ writeOut: (t) => stdout.write(t), writeErr: (t) => stderr.write(t) });
  for (const register of [registerMap]) {
    register(program, context);
  }
  let code = 0;
  try {
    await program.parseAsync(["node", "netmera-odoo", ...args]);
  } catch (error) {
    if (!(error instanceof BridgeError) && !(error instanceof CommanderError)) {
      throw error;
    }
    stderr.write(`error: ${error.message}\n`);
    code = 1;
  }
  return { code, stdout: out, stderr: err };
}

async function snapshotHash(dir: string): Promise<string> {
  return (await openSnapshot(dir, { logger: silentLogger })).hash;
}

/** Rewrite one snapshot file and its manifest entry, as a fresh pull would. */
function repull(dir: string, file: string, content: string): void {
  writeFileSync(join(dir, file), content);
  const manifestPath = join(dir, "manifest.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as {
    files: Record<string, string>;
  };
  manifest.files[file] = createHash("sha256").update(content).digest("hex");
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "mapping-confirm-"));
  snapshotDir = join(work, "snapshot");
  generateSnapshot({ users: 30, eventsPerUser: 3, seed: "confirm", out: snapshotDir });
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe("map command", () => {
  it("writes an unconfirmed mapping and prints the review count", async () => {
    const result = await run("map", snapshotDir, "--out", work);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\d+ need review \(marked !\)/);
    expect(result.stdout).toContain("--confirm --by NAME");

    const mapping = await loadMapping(join(work, "mapping.json"));
    expect(mapping.confirmation).toBeNull();
    expect(mapping.snapshotHash).toBe(await snapshotHash(snapshotDir));
  });

  it("refuses to overwrite a mapping without --force", async () => {
    const result = await run("map", snapshotDir, "--out", work);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("already exists");
  });

  it("rejects a command that needs a confirmed mapping", async () => {
    const mapping = await loadMapping(join(work, "mapping.json"));
    expect(() => assertMappingConfirmed(mapping, mapping.snapshotHash)).toThrow(
      MappingUnconfirmedError,
    );
    expect(() =>
      assertMappingConfirmed(mapping, mapping.snapshotHash, { snapshotDir: "snap" }),
    ).toThrow("netmera-odoo map snap --confirm --by NAME");
  });

  it("confirms with --by and records both hashes", async () => {
    const result = await run("map", snapshotDir, "--out", work, "--confirm", "--by", "Ayşe Yılmaz");
    expect(result.code).toBe(0);
    const mapping = await loadMapping(join(work, "mapping.json"));
    expect(mapping.confirmation?.by).toBe("Ayşe Yılmaz");
    expect(mapping.confirmation?.mappingHash).toMatch(/^[0-9a-f]{64}$/);
    const hash = await snapshotHash(snapshotDir);
    expect(mapping.confirmation?.snapshotHash).toBe(hash);
    expect(assertMappingConfirmed(mapping, hash).by).toBe("Ayşe Yılmaz");
  });

  it("requires --by to confirm", async () => {
    const result = await run("map", snapshotDir, "--out", work, "--confirm");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("--by NAME");
  });
});

describe("confirmation voiding", () => {
  it("voids the confirmation when an entry is edited", async () => {
    const path = join(work, "mapping.json");
    const mapping = await loadMapping(path);
    const hash = await snapshotHash(snapshotDir);
    const edited = structuredClone(mapping);
    const first = edited.entries[0];
    if (!first) throw new Error("mapping has no entries");
    first.reason = `${first.reason} (edited)`;
    await saveMapping(join(work, "edited.json"), edited);

    const reloaded = await loadMapping(join(work, "edited.json"));
    const state = confirmationState(reloaded, hash);
    expect(state.confirmed).toBe(false);
    expect(state.confirmed ? "" : state.reason).toContain("edited after Ayşe Yılmaz confirmed");
    expect(() => assertMappingConfirmed(reloaded, hash)).toThrow(MappingUnconfirmedError);
  });

  it("voids the confirmation when a setting is edited", async () => {
    const mapping = await loadMapping(join(work, "mapping.json"));
    const edited = {
      ...mapping,
      settings: { ...mapping.settings, eventConsolidationThreshold: 3 },
    };
    expect(confirmationState(edited, mapping.snapshotHash).confirmed).toBe(false);
  });

  it("reads a deleted confirmation as unconfirmed", async () => {
    const mapping = await loadMapping(join(work, "mapping.json"));
    const text = JSON.stringify({ ...mapping, confirmation: undefined });
    expect(text).not.toContain('"confirmation"');
    writeFileSync(join(work, "no-confirmation.json"), text);
    const reloaded = await loadMapping(join(work, "no-confirmation.json"));
    expect(reloaded.confirmation).toBeNull();
    expect(confirmationState(reloaded, mapping.snapshotHash)).toEqual({
      confirmed: false,
      reason: "the mapping has not been confirmed",
    });
  });

  it("rejects an unknown encoding option", async () => {
    const mapping = await loadMapping(join(work, "mapping.json"));
    const edited = structuredClone(mapping);
    const file = edited.entries.find((entry) => entry.source.kind === "file");
    if (!file) throw new Error("mapping has no file entry");
    file.options = { ...file.options, encoding: "klingon" };
    writeFileSync(join(work, "klingon.json"), JSON.stringify(edited));
    await expect(loadMapping(join(work, "klingon.json"))).rejects.toThrow(
      "is not a known encoding; use one of utf-8, utf-16le, utf-16be, windows-1254, " +
        "iso-8859-9, iso-8859-1, windows-1252",
    );
  });

  it("keeps the confirmation when only the file layout changes", async () => {
    const path = join(work, "mapping.json");
    const mapping = await loadMapping(path);
    writeFileSync(join(work, "compact.json"), JSON.stringify(mapping));
    const compact = await loadMapping(join(work, "compact.json"));
    expect(confirmationState(compact, mapping.snapshotHash).confirmed).toBe(true);
  });

  it("voids the confirmation when a snapshot file changes", async () => {
    const mapping = await loadMapping(join(work, "mapping.json"));
    const before = await snapshotHash(snapshotDir);
    repull(snapshotDir, "owners.csv", "name,surname,email\r\nYeni,Kişi,yeni@example.com\r\n");
    const after = await snapshotHash(snapshotDir);
    expect(after).not.toBe(before);
    expect(() => assertMappingConfirmed(mapping, after)).toThrow("the snapshot changed after");
  });

  it("rejects a snapshot file changed behind the manifest's back", async () => {
    writeFileSync(join(snapshotDir, "companies.csv"), "companyId,name\r\nC-1,Başka A.Ş.\r\n");
    await expect(openSnapshot(snapshotDir, { logger: silentLogger })).rejects.toThrow(
      SnapshotTamperedError,
    );
    const result = await run("map", snapshotDir, "--out", work, "--confirm", "--by", "X");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("companies.csv");
  });
});
