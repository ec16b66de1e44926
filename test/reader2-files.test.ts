import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runAudit } from "../bridge/src/audit/run-audit.js";
import { silentLogger } from "../bridge/src/core/log.js";
import { unreadFileReason } from "../bridge/src/mapping/propose-files.js";
import {
  deviceFiles,
  membershipFiles,
  openSnapshot,
  topLevelTable,
  userFiles,
} from "../bridge/src/snapshot/snapshot.js";
import { writeFiles, writeSnapshotManifest } from "./input-support.js";
import { runCli } from "./support/cli.js";

const FIXTURE = join(import.meta.dirname, "fixtures/reader/plan-basic");
const SAMPLE = join(import.meta.dirname, "../samples/small");
const work = mkdtempSync(join(tmpdir(), "reader2-files-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const TOP_LEVEL_USERS = "a user export at the top level is not read; move it into users/";
const SECOND_DEVICES =
  "only devices.csv or devices.json at the top level is read as installations; move this " +
  "file into devices/ to read it too";

async function run(args: string[]) {
  const { code, stdout, stderr } = await runCli(args);
  return { code, out: stdout, err: stderr };
}

let counter = 0;
async function snapshotWithStrayFiles(): Promise<string> {
  counter += 1;
  const root = join(work, `snapshot-${counter}`);
  cpSync(FIXTURE, root, { recursive: true });
  writeFiles(root, {
    "Users/a.csv": "externalId,name,email\nZ1,Upper Dir,z1@example.com\n",
    "users.csv": "externalId,name,email\nZ4,TopLevel,z4@example.com\n",
    "devices2.csv": readFileSync(join(FIXTURE, "devices.csv")),
  });
  await writeSnapshotManifest(root);
  return root;
}

describe("unread file reasons", () => {
  it.each([
    ["Users/a.csv", undefined],
    ["users/b.CSV", undefined],
    ["USERS/c.xlsx", undefined],
    ["Devices.csv", undefined],
    ["devices/part-1.json", undefined],
    ["Owners.csv", undefined],
    ["profiles/part-00001.ndjson", undefined],
    ["user-devices/part-00001.ndjson", undefined],
    ["push-stats.json", undefined],
    ["events/a.CSV", undefined],
    ["users.csv", TOP_LEVEL_USERS],
    ["user-export.xlsx", TOP_LEVEL_USERS],
    ["devices2.csv", SECOND_DEVICES],
    ["Events/e.csv", undefined],
    ["PUSH-RESULTS/c1.json", undefined],
    [
      "users/readme.md",
      "the readers of users/ do not take files of this type; export it as .csv or .xlsx",
    ],
    [
      "notes.txt",
      "not a known snapshot file, so nothing is imported from it; user exports belong in " +
        "users/, installations in devices/, events in events/",
    ],
  ])("%s", (file, reason) => {
    expect(unreadFileReason(file)).toBe(reason);
  });
});

describe("folder names without case", () => {
  it("plan reads Events/ and Push-Results/ as events/ and push-results/", async () => {
    const history: string[] = [];
    for (const [name, events, pushResults] of [
      ["lower", "events", "push-results"],
      ["mixed", "Events", "Push-Results"],
    ] as const) {
      const root = join(work, `case-${name}`);
      cpSync(SAMPLE, root, { recursive: true });
      renameSync(join(root, "events"), join(root, events));
      renameSync(join(root, "push-results"), join(root, pushResults));
      await writeSnapshotManifest(root);
      const out = join(work, `case-${name}-out`);
      const encoding = ["--encoding", "users/segment-istanbul.csv=windows-1254"];
      expect((await run(["map", root, "--out", out, ...encoding])).code).toBe(0);
      const planned = await run(["plan", root, "--out", out]);
      expect(planned.code, planned.err).toBe(0);
      history.push(readFileSync(join(out, "plan/history.ndjson"), "utf8"));
    }
    expect(history[0]?.split("\n").length).toBeGreaterThan(100);
    // Only the source paths differ: the same rows, external IDs and hashes.
    const sources = history[1]
      ?.replaceAll('"file":"Events/', '"file":"events/')
      .replaceAll('"file":"Push-Results/', '"file":"push-results/');
    expect(sources).toBe(history[0]);
  });

  it("readers list Users/, Devices.csv and Owners.csv", async () => {
    const root = join(work, "case");
    writeFiles(root, {
      "Users/a.csv": "externalId\nZ1\n",
      "Devices.csv": "extId,platform\nZ1,IOS\n",
      "Owners.csv": "name,email\nA,a@example.com\n",
      "Tags/vip.csv": "externalId\nZ1\n",
    });
    const snapshot = await openSnapshot(root, { logger: silentLogger });
    expect(userFiles(snapshot)).toEqual(["Users/a.csv"]);
    expect(deviceFiles(snapshot)).toEqual(["Devices.csv"]);
    expect(topLevelTable(snapshot, "owners")).toBe("Owners.csv");
    expect(membershipFiles(snapshot)).toEqual([{ kind: "tag", ref: "vip", file: "Tags/vip.csv" }]);
  });
});

describe("files no reader takes", () => {
  it("map lists them for review", async () => {
    const root = await snapshotWithStrayFiles();
    const out = join(work, `map-${counter}`);
    const result = await run(["map", root, "--out", out]);
    expect(result.code).toBe(0);
    const lines = result.out.split("\n");
    expect(lines).toContain(`! devices2.csv: ${SECOND_DEVICES}`);
    expect(lines).toContain(`! users.csv: ${TOP_LEVEL_USERS}`);
    expect(lines.filter((line) => line.startsWith("! file      "))).toEqual([
      "! file      devices2.csv                skip                                                      0.30",
      "! file      users.csv                   skip                                                      0.30",
    ]);
    expect(result.out).not.toContain("Users/a.csv");

    const plan = await run(["plan", root, "--out", out]);
    expect(plan.code).toBe(0);
    const contacts = readFileSync(join(out, "plan/contacts.ndjson"), "utf8");
    expect(contacts).toContain('"netmera_external_id":"Z1"');
    expect(contacts).not.toContain('"netmera_external_id":"Z4"');
  });

  it("audit lists them with the reason", async () => {
    const root = await snapshotWithStrayFiles();
    const out = join(work, `audit-${counter}`);
    const { report, warnings } = await runAudit(root, out, silentLogger);
    expect(report.files.notRead).toEqual([
      { file: "devices2.csv", reason: SECOND_DEVICES },
      { file: "users.csv", reason: TOP_LEVEL_USERS },
    ]);
    expect(warnings).toEqual([
      `warning: devices2.csv is not read: ${SECOND_DEVICES}`,
      `warning: users.csv is not read: ${TOP_LEVEL_USERS}`,
    ]);
    const json = JSON.parse(readFileSync(join(out, "audit.json"), "utf8"));
    expect(json.files.notRead).toEqual(report.files.notRead);
    const markdown = readFileSync(join(out, "audit.md"), "utf8");
    expect(markdown).toContain("2 files are not read, so nothing of them is imported:");
    expect(markdown).toContain(`| users.csv | ${TOP_LEVEL_USERS} |`);
  });
});

describe("symbolic links in a snapshot", () => {
  it.each([
    ["a linked file", "users/linked.csv", "file"],
    ["a linked folder", "tags", "dir"],
  ])("rejects %s by its path", async (_label, link, type) => {
    const root = join(work, `symlink-${type}`);
    cpSync(FIXTURE, root, { recursive: true });
    const target = join(work, `outside-${type}`);
    if (type === "file") {
      writeFiles(work, { [`outside-${type}`]: "externalId,name\ns1,Sym\n" });
    } else {
      writeFiles(target, { "vip.csv": "externalId\ns1\n" });
      rmSync(join(root, link), { recursive: true, force: true });
    }
    symlinkSync(target, join(root, link));
    const result = await run(["audit", root, "--out", join(work, `symlink-${type}-out`)]);
    expect(result.code).toBe(1);
    expect(result.err).toContain(
      `${link}: is a symbolic link; a snapshot is read only from its own files, so copy the ` +
        "file or folder it points to into the snapshot",
    );
  });
});

describe("missing segment definitions", () => {
  it("map warns with the segment ids that get placeholder names", async () => {
    const root = join(work, "no-segments");
    cpSync(SAMPLE, root, { recursive: true });
    rmSync(join(root, "segments.json"));
    await writeSnapshotManifest(root);
    const result = await run([
      "map",
      root,
      "--out",
      join(work, "no-segments-out"),
      "--encoding",
      "users/segment-istanbul.csv=windows-1254",
    ]);
    expect(result.code).toBe(0);
    expect(result.err).toContain(
      `warning: ${join(root, "segments.json")} is missing, so the 5 segment(s) of segment-users/ (`,
    );
    expect(result.err).toContain("get placeholder names (Segment <id>) as tags and stages");
  });
});
