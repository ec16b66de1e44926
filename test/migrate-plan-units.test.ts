import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { xmlIdFor } from "../bridge/src/core/xml-id.js";
import { ErrorLog } from "../bridge/src/migrate/error-log.js";
import { migrate } from "../bridge/src/migrate/migrate.js";
import {
  checkPlanFiles,
  plannedPhases,
  readPlanLines,
  readPlanManifest,
  type PlannedPhase,
} from "../bridge/src/migrate/plan-files.js";
import { PhaseProgress } from "../bridge/src/migrate/progress.js";
import { formatReconciliation, reconcilePhase } from "../bridge/src/migrate/reconciliation.js";
import { rowReferences, selectSample } from "../bridge/src/migrate/sample.js";
import { silentLogger } from "../bridge/src/core/log.js";
import { PlanOutputs } from "../bridge/src/plan/outputs.js";
import { batchLimitsForRun, STATE_FILE } from "../bridge/src/migrate/state.js";
import { FIXTURE_DIR, writeSyntheticPlan } from "./fixtures/migrate/synthetic-plan.js";
import { copyFixturePlan } from "./migrate-support.js";

function fixturePhases(): PlannedPhase[] {
  return plannedPhases(FIXTURE_DIR, readPlanManifest(FIXTURE_DIR));
}

const sha = (text: string) => createHash("sha256").update(text).digest("hex");

describe("plan files", () => {
  it("lists the fixture's phases in import order", () => {
    expect(fixturePhases().map((phase) => [phase.definition.name, phase.rows])).toEqual([
      ["schema", 9],
      ["tags", 4],
      ["stages", 2],
      ["owners", 1],
      ["companies", 2],
      ["contacts", 6],
      ["campaigns", 1],
    ]);
  });

  it("rejects a phase this version does not know", () => {
    const dir = copyFixturePlan();
    const path = join(dir, "plan", "manifest.json");
    const manifest = JSON.parse(readFileSync(path, "utf8"));
    manifest.phases.push({ name: "journeys", file: "journeys.ndjson", rows: 1 });
    writeFileSync(path, JSON.stringify(manifest));

    expect(() => plannedPhases(dir, readPlanManifest(dir))).toThrow(
      "the plan has phases this version of netmera-odoo cannot import: journeys",
    );
  });

  it("names file and line of a broken row", async () => {
    const dir = mkdtempSync(join(tmpdir(), "plan-lines-"));
    const file = join(dir, "contacts.ndjson");
    writeFileSync(file, '{"xml_id":"a","values":{}}\n\n{"xml_id":"b","values":\n');
    const read = async () => {
      for await (const line of readPlanLines(file, "plan/contacts.ndjson")) void line;
    };

    await expect(read()).rejects.toThrow(/^plan\/contacts\.ndjson line 3: not valid JSON/);
  });

  it("measures rows in UTF-8 bytes", async () => {
    const lines = [];
    for await (const line of readPlanLines(join(FIXTURE_DIR, "plan", "tags.ndjson"))) {
      lines.push(line);
    }

    const text = readFileSync(join(FIXTURE_DIR, "plan", "tags.ndjson"), "utf8").split("\n");
    expect(lines.map((line) => line.bytes)).toEqual(
      text.slice(0, 4).map((row) => Buffer.byteLength(row) + 1),
    );
  });
});

describe("plan file hashes", () => {
  /** A plan of two phases written through PlanOutputs, as the plan command writes one. */
  async function writtenPlan(): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), "plan-hashes-"));
    const outputs = await PlanOutputs.create(dir);
    const tags = outputs.phase("tags");
    await tags.write({ xml_id: "netmera_tag_vip", values: { name: "VIP" } });
    const contacts = outputs.phase("contacts");
    for (const name of ["Ayşe Yılmaz", "Çağrı Öztürk", "Lukas Müller"]) {
      await contacts.write({ xml_id: `netmera_user_${name.length}`, values: { name } });
    }
    await outputs.closeFiles();
    await outputs.writeJson("plan/manifest.json", {
      snapshotHash: "s".repeat(64),
      mappingHash: "m".repeat(64),
      phases: [
        { name: "tags", file: tags.file, rows: tags.rows },
        { name: "contacts", file: contacts.file, rows: contacts.rows },
      ],
    });
    await outputs.writeJson("reconciliation.json", { phases: [] });
    await outputs.commit();
    return dir;
  }

  it("records the sha256 and row count of every plan file in the manifest", async () => {
    const dir = await writtenPlan();
    const manifest = readPlanManifest(dir);

    for (const entry of manifest.phases) {
      const text = readFileSync(join(dir, "plan", entry.file), "utf8");
      expect(entry.sha256).toBe(sha(text));
      expect(entry.rows).toBe(text.split("\n").length - 1);
    }
    expect(manifest.phases.map((entry) => entry.rows)).toEqual([1, 3]);
    expect(await checkPlanFiles(plannedPhases(dir, manifest))).toEqual({
      changed: [],
      unchecked: [],
    });
  });

  it("finds an edited line and an added line, naming the file", async () => {
    const dir = await writtenPlan();
    const path = join(dir, "plan", "contacts.ndjson");
    const original = readFileSync(path, "utf8");
    const expected = readPlanManifest(dir).phases[1]!;

    writeFileSync(path, original.replace("Lukas Müller", "Lukas Muller"));
    const edited = await checkPlanFiles(plannedPhases(dir, readPlanManifest(dir)));
    expect(edited.changed).toEqual([
      {
        file: "plan/contacts.ndjson",
        expected: { sha256: expected.sha256, rows: 3 },
        found: { sha256: sha(original.replace("Lukas Müller", "Lukas Muller")), rows: 3 },
      },
    ]);

    writeFileSync(path, original + '{"xml_id":"x","values":{"name":"Extra"}}\n');
    const added = await checkPlanFiles(plannedPhases(dir, readPlanManifest(dir)));
    expect(added.changed.map((change) => [change.file, change.found.rows])).toEqual([
      ["plan/contacts.ndjson", 4],
    ]);
  });

  it("finds the committed fixture plan unchanged against its recorded hashes", async () => {
    // Fails when a fixture plan file is edited without recording its new sha256.
    expect(await checkPlanFiles(fixturePhases())).toEqual({ changed: [], unchecked: [] });
    expect(fixturePhases().every((phase) => /^[0-9a-f]{64}$/.test(phase.sha256 ?? ""))).toBe(true);
  });

  it("finds a synthetic plan unchanged against its recorded hashes", async () => {
    const dir = await writeSyntheticPlan(mkdtempSync(join(tmpdir(), "plan-synthetic-")), {
      contacts: 7,
    });
    const phases = plannedPhases(dir, readPlanManifest(dir));

    expect(phases.map((phase) => [phase.file, phase.rows])).toEqual([
      ["plan/tags.ndjson", 5],
      ["plan/contacts.ndjson", 7],
    ]);
    expect(await checkPlanFiles(phases)).toEqual({ changed: [], unchecked: [] });
  });

  it("lists files whose manifest entry has no hash as unchecked", async () => {
    const dir = copyFixturePlan();
    const path = join(dir, "plan", "manifest.json");
    const manifest = JSON.parse(readFileSync(path, "utf8"));
    delete manifest.phases[1].sha256;
    delete manifest.phases[5].sha256;
    writeFileSync(path, JSON.stringify(manifest));

    const result = await checkPlanFiles(plannedPhases(dir, readPlanManifest(dir)));
    expect(result).toEqual({
      changed: [],
      unchecked: ["plan/tags.ndjson", "plan/contacts.ndjson"],
    });
  });

  it("makes migrate refuse a plan without hashes before it connects to Odoo", async () => {
    const dir = await writtenPlan();
    const contacts = join(dir, "plan", "contacts.ndjson");
    writeFileSync(contacts, readFileSync(contacts, "utf8").replace("Lukas Müller", "Mallory"));
    const path = join(dir, "plan", "manifest.json");
    const manifest = JSON.parse(readFileSync(path, "utf8"));
    for (const entry of manifest.phases) delete entry.sha256;
    writeFileSync(path, JSON.stringify(manifest));

    // Port 9 on loopback: nothing listens, so any call would fail with ECONNREFUSED instead.
    const failure = migrate({
      planDir: dir,
      snapshotDir: "snap",
      mappingFile: "snap/mapping.json",
      connection: { url: "http://127.0.0.1:9", db: "crm", login: "admin", password: "x" },
      logger: silentLogger,
      progressStream: new PassThrough(),
    });

    await expect(failure).rejects.toThrow(
      `${path} records no sha256 for plan/tags.ndjson, plan/contacts.ndjson, so migrate ` +
        "cannot tell whether they changed after plan wrote them, and nothing was sent to Odoo. " +
        "Re-run plan to rebuild the plan with its hashes (netmera-odoo plan snap --mapping " +
        `snap/mapping.json --out ${dir}), then run migrate again.`,
    );
  });

  it("makes migrate refuse an edited plan before it connects to Odoo", async () => {
    const dir = await writtenPlan();
    const path = join(dir, "plan", "tags.ndjson");
    writeFileSync(path, readFileSync(path, "utf8").replace("VIP", "V.I.P."));

    // Port 9 on loopback: nothing listens, so any call would fail with ECONNREFUSED instead.
    const failure = migrate({
      planDir: dir,
      snapshotDir: "snap",
      mappingFile: "snap/mapping.json",
      connection: { url: "http://127.0.0.1:9", db: "crm", login: "admin", password: "x" },
      logger: silentLogger,
      progressStream: new PassThrough(),
    });

    await expect(failure).rejects.toThrow(
      `the plan in ${dir} changed after plan wrote it, so nothing was sent to Odoo:\n` +
        "  plan/tags.ndjson: sha256 ",
    );
    await expect(failure).rejects.toThrow(
      `Re-run plan to rebuild it (netmera-odoo plan snap --mapping snap/mapping.json --out ${dir}), then run migrate again.`,
    );
  });
});

describe("batch limits of a run", () => {
  it("keeps a run's limits when it is reached through another URL", () => {
    const dir = mkdtempSync(join(tmpdir(), "migrate-state-"));
    const first = batchLimitsForRun(
      dir,
      { url: "http://127.0.0.1:8069", db: "crm", runId: 4 },
      { maxRows: 10, maxBytes: 1000 },
      silentLogger,
    );
    const again = batchLimitsForRun(
      dir,
      { url: "https://crm.example.com", db: "crm", runId: 4 },
      { maxRows: 500, maxBytes: 2_000_000 },
      silentLogger,
    );
    const other = batchLimitsForRun(
      dir,
      { url: "https://crm.example.com", db: "crm", runId: 5 },
      { maxRows: 500, maxBytes: 2_000_000 },
      silentLogger,
    );

    expect(first).toEqual({ maxRows: 10, maxBytes: 1000 });
    expect(again).toEqual({ maxRows: 10, maxBytes: 1000 });
    expect(other).toEqual({ maxRows: 500, maxBytes: 2_000_000 });
  });

  it("finds limits recorded under the URL-keyed entries of older versions", () => {
    const dir = mkdtempSync(join(tmpdir(), "migrate-state-"));
    const old = { batch: { maxRows: 25, maxBytes: 5000 }, startedAt: "2026-01-01T00:00:00Z" };
    writeFileSync(
      join(dir, STATE_FILE),
      JSON.stringify({ runs: { "http://odoo:8069 crm 9": old } }),
    );

    const limits = batchLimitsForRun(
      dir,
      { url: "http://127.0.0.1:8069", db: "crm", runId: 9 },
      { maxRows: 500, maxBytes: 2_000_000 },
      silentLogger,
    );

    expect(limits).toEqual({ maxRows: 25, maxBytes: 5000 });
  });
});

describe("sample selection", () => {
  it("takes the contacts first in extId hash order", async () => {
    const selection = await selectSample(fixturePhases(), 2);
    const extIds = ["ayse.k", "AYSE.K", "müşteri.çağrı.42", "C1000006", "C1000017", "anon-7f3a"];
    const expected = extIds
      .sort((a, b) => (sha(a) < sha(b) ? -1 : 1))
      .slice(0, 2)
      .map((extId) => xmlIdFor("user", extId));

    expect([...selection.get("contacts")!].sort()).toEqual(expected.sort());
  });

  it("takes what the sampled contacts point at, and all schema rows", async () => {
    const selection = await selectSample(fixturePhases(), 6);

    expect(selection.get("contacts")!.size).toBe(6);
    expect(selection.get("companies")!.size).toBe(2);
    expect(selection.get("tags")!.size).toBe(4);
    expect(selection.get("stages")!.size).toBe(2);
    expect([...selection.get("owners")!]).toEqual(["owner:selin.kaya@example.com.tr"]);
    expect(selection.has("schema")).toBe(false);
    // Nothing points at the campaign, so a sample leaves it out.
    expect(selection.get("campaigns")!.size).toBe(0);
  });

  it("leaves out the company and tags of contacts not sampled", async () => {
    const phases = fixturePhases();
    const selection = await selectSample(phases, 1);
    const contacts = phases.find((phase) => phase.definition.name === "contacts")!;
    const [picked] = [...selection.get("contacts")!];
    let references: string[] = [];
    for await (const { row } of readPlanLines(contacts.path)) {
      if (row.xml_id === picked) references = rowReferences(row);
    }

    for (const name of ["companies", "tags", "stages"]) {
      for (const key of selection.get(name)!) {
        expect(references, `${name} ${key}`).toContain(key);
      }
    }
  });

  it("finds every relation object in a row", () => {
    expect(
      rowReferences({
        values: {
          parent_id: { xml_id: "c1" },
          category_id: { xml_ids: ["t1", "t2"] },
          user_id: { owner_email: " Sales@Example.COM " },
          country_id: { code: "TR" },
          name: "x",
        },
      }),
    ).toEqual(["c1", "t1", "t2", "owner:sales@example.com"]);
  });
});

describe("reconciliation", () => {
  const contacts = fixturePhases().find((phase) => phase.definition.name === "contacts")!;

  it("balances plan quarantine and Odoo errors against read", () => {
    const row = reconcilePhase({
      phase: contacts,
      planned: { name: "contacts", read: 7, planned: 6, quarantined: 1, skipped: 0 },
      sampleRows: undefined,
      odoo: { created: 4, updated: 1, unchanged: 0, errors: 1 },
    });

    expect(row).toMatchObject({ read: 7, written: 5, quarantined: 2, skipped: 0, balanced: true });
  });

  it("flags a phase that lost rows", () => {
    const row = reconcilePhase({
      phase: contacts,
      planned: { name: "contacts", read: 7, planned: 6, quarantined: 1, skipped: 0 },
      sampleRows: undefined,
      odoo: { created: 4, updated: 0, unchanged: 0, errors: 0 },
    });

    expect(row.balanced).toBe(false);
    expect(formatReconciliation([row])).toBe(
      [
        "phase     read  written  created  updated  unchanged  quarantined  skipped         check",
        "contacts     7        4        4        0          0            1        0  MISMATCH (2)",
      ].join("\n"),
    );
  });
});

describe("error log", () => {
  it("writes one CSV line per rejected row with its source, formulas defused", () => {
    const path = join(mkdtempSync(join(tmpdir(), "errors-")), "odoo-errors.csv");
    const log = new ErrorLog(path);
    const items = [
      {
        row: { xml_id: "x1", values: {}, source: { file: "users/a.csv", line: 4 } },
        line: 1,
        bytes: 1,
      },
      {
        row: { xml_id: "x2", values: {}, source: { file: "users/a.csv", line: 9 } },
        line: 2,
        bytes: 1,
      },
    ];
    log.record("contacts", 3, items, [
      { index: 1, xml_id: "x2", field: "email", message: '=HYPERLINK("http://evil")' },
    ]);

    expect(readFileSync(path, "utf8")).toBe(
      "phase,batch,xml_id,field,message,source_file,source_line\n" +
        `contacts,3,x2,email,"'=HYPERLINK(""http://evil"")",users/a.csv,9\n`,
    );
    expect(log.count).toBe(1);
  });
});

describe("progress", () => {
  it("prints plain lines at the interval when not a terminal", () => {
    const stream = new PassThrough();
    let output = "";
    stream.on("data", (chunk: Buffer) => (output += chunk.toString()));
    let now = 0;
    const progress = new PhaseProgress({ stream, lineIntervalMs: 10_000, now: () => now });

    progress.start("contacts", 1000);
    progress.skip(200);
    now = 5_000;
    progress.advance(100);
    now = 10_000;
    progress.advance(100);
    now = 20_000;
    progress.finish();

    expect(output).toBe(
      "contacts: 400/1000 rows (40%), 20 rows/s, ETA 30s\n" +
        "contacts: 400/1000 rows (40%), 10 rows/s, done\n",
    );
  });

  it("redraws one bar line on a terminal", () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true });
    let output = "";
    stream.on("data", (chunk: Buffer) => (output += chunk.toString()));
    let now = 0;
    const progress = new PhaseProgress({ stream, now: () => now });

    progress.start("tags", 10);
    now = 1000;
    progress.advance(5);
    now = 2000;
    progress.finish();

    expect(output).toContain("\r\x1b[2Ktags       [############------------] 5/10 rows (50%)");
    expect(output.endsWith("done\n")).toBe(true);
  });
});
