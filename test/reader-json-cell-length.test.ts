import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import {
  readDevices,
  readMembers,
  readProfiles,
  readUserDevices,
} from "../bridge/src/snapshot/records.js";
import { openSnapshot } from "../bridge/src/snapshot/snapshot.js";
import { writeFiles } from "./input-support.js";
import { runCli } from "./support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "reader-json-cell-length-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LONG = "x".repeat(70_000);
const AT_LIMIT = "y".repeat(65_536);
const TOO_LONG = (field: string, length = 70_000) =>
  `field "${field}" holds ${length.toLocaleString("en-US")} characters, more than the 65,536 ` +
  "a cell may hold";

async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const result: T[] = [];
  for await (const row of rows) result.push(row);
  return result;
}

describe("JSON values over the cell limit", () => {
  const root = join(dir, "records");
  beforeAll(() => {
    writeFiles(root, {
      "profiles/a.ndjson":
        JSON.stringify({ extId: "u1", profile: { name: "Ali", note: AT_LIMIT } }) +
        "\n" +
        JSON.stringify({ extId: "u2", profile: { name: "Veli", note: LONG } }) +
        "\n" +
        JSON.stringify({ extId: "u3", profile: { tags: ["a", LONG] } }) +
        "\n",
      "devices/a.json": JSON.stringify([
        { extId: "u1", platform: "Android", deviceModel: LONG },
        { extId: "u2", platform: "IOS", deviceModel: "iPhone" },
      ]),
      "user-devices/a.ndjson":
        JSON.stringify({ extId: "u1", devices: [{ platform: "IOS" }, { osVersion: LONG }] }) + "\n",
      "segment-users/s1.json": JSON.stringify([{ externalId: "u1" }, { email: LONG }]),
    });
  });

  async function snapshot() {
    return openSnapshot(root, { logger: silentLogger });
  }

  it("rejects long profile values and lists", async () => {
    const rows = await collect(readProfiles(await snapshot(), "profiles/a.ndjson"));
    expect(rows.map((row) => [row.line, row.extId, row.values.size, row.problem])).toEqual([
      [1, "u1", 2, undefined],
      [2, undefined, 0, TOO_LONG("profile.note")],
      [3, undefined, 0, TOO_LONG("profile.tags", 70_000 + 8)],
    ]);
  });

  it("rejects a device and a user's device with a long field", async () => {
    const devices = await collect(readDevices(await snapshot(), "devices/a.json"));
    expect(devices.map((row) => [row.extId, row.model, row.problem])).toEqual([
      [undefined, undefined, TOO_LONG("deviceModel")],
      ["u2", "iPhone", undefined],
    ]);
    const userDevices = await collect(readUserDevices(await snapshot(), "user-devices/a.ndjson"));
    expect(userDevices.map((row) => [row.platform, row.problem])).toEqual([
      ["IOS", undefined],
      [undefined, TOO_LONG("devices.1.osVersion")],
    ]);
  });

  it("rejects a member with a long identifier", async () => {
    const members = await collect(readMembers(await snapshot(), "segment-users/s1.json"));
    expect(members.map((row) => [row.extId, row.email, row.problem])).toEqual([
      ["u1", undefined, undefined],
      [undefined, undefined, TOO_LONG("email")],
    ]);
  });
});

describe("plan with a long JSON value", () => {
  const snapshot = join(dir, "snapshot");
  const out = join(dir, "out");
  let code = -1;

  beforeAll(async () => {
    writeFiles(snapshot, {
      "profiles/a.ndjson":
        JSON.stringify({ extId: "u1", profile: { email: "u1@example.com", name: "Ali" } }) +
        "\n" +
        JSON.stringify({ extId: "u2", profile: { email: "u2@example.com", name: LONG } }) +
        "\n",
    });
    const mapping = join(out, "mapping.json");
    expect((await runCli(["map", snapshot, "--out", out])).code).toBe(0);
    const confirm = ["map", snapshot, "--confirm", "--by", "test", "--mapping", mapping];
    expect((await runCli(confirm)).code).toBe(0);
    const plan = await runCli(["plan", snapshot, "--out", out, "--no-progress"]);
    expect(plan.stderr).toBe("");
    code = plan.code;
  }, 60_000);

  it("quarantines the row with the field and its length, not its value", () => {
    expect(code).toBe(0);
    const text = readFileSync(join(out, "quarantine.csv"), "utf8");
    const quarantine = parse(text, { columns: true }) as Record<string, string>[];
    expect(quarantine.map((row) => [row.file, row.line, row.reason])).toEqual([
      ["profiles/a.ndjson", "2", `row rejected: ${TOO_LONG("profile.name")}`],
    ]);
    expect(text).not.toContain("x".repeat(40));
    const reconciliation = JSON.parse(readFileSync(join(out, "reconciliation.json"), "utf8"));
    const phase = reconciliation.phases.find((p: { name: string }) => p.name === "contacts");
    expect(phase).toMatchObject({ read: 2, planned: 1, quarantined: 1 });
  });
});
