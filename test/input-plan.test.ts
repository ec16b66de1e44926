import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { xmlIdFor } from "../bridge/src/core/xml-id.js";
import { writeFiles } from "./input-support.js";
import { runCli } from "./support/cli.js";

/** Every push token of the snapshot below; none may appear in any output file. */
const TOKENS = {
  fcmToken: "tokFCM1111secretvalue",
  apnsToken: "tokAPNS2222secretvalue",
  registrationId: "tokREG3333secretvalue",
  pushToken: "tokPUSH4444secretvalue",
  token: "tokTOKEN5555secretvalue",
  deviceToken: "tokDEVICE6666secretvalue",
  fcm: "tokFCMBARE7777secretvalue",
  profileToken: "tokPROFILE8888secretvalue",
  jsonToken: "tokJSON9999secretvalue",
};

const work = mkdtempSync(join(tmpdir(), "input-plan-"));
const snapshot = join(work, "snapshot");
const out = join(work, "out");
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function run(args: string[]) {
  const { code, stdout, stderr } = await runCli(args);
  return { code, out: stdout, err: stderr };
}

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? allFiles(path) : [path];
  });
}

interface Row {
  xml_id: string;
  values: Record<string, unknown>;
}

function contacts(): Map<string, Record<string, unknown>> {
  const rows = readFileSync(join(out, "plan", "contacts.ndjson"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Row);
  return new Map(rows.map((row) => [row.xml_id, row.values]));
}

function contact(extId: string): Record<string, unknown> {
  const values = contacts().get(xmlIdFor("user", extId));
  if (!values) throw new Error(`no contact for ${extId}`);
  return values;
}

let planStdout = "";

beforeAll(async () => {
  writeFiles(snapshot, {
    "profile-attributes.json": JSON.stringify({
      standardProfileAttributes: [{ code: "email", dataType: "STRING", name: "Email" }],
      customProfileAttributes: [{ code: "score", dataType: "DOUBLE", name: "Score" }],
    }),
    // A Turkish spreadsheet: decimal comma, point grouping.
    "users/turkish.csv":
      "External ID;Email;Score;fcmToken;apnsToken;Device Type;OS\n" +
      `u1;u1@example.com;1.234,5;${TOKENS.fcmToken};;ANDROID;13\n` +
      `u2;u2@example.com;2,5;;${TOKENS.apnsToken};IOS;16.7\n`,
    // An API-style export: decimal point.
    "users/api.csv":
      "extId,email,score,registrationId,pushToken,fcm\n" +
      `u3,u3@example.com,1234.75,${TOKENS.registrationId},${TOKENS.pushToken},${TOKENS.fcm}\n` +
      "u4,u4@example.com,0.5,,,\n",
    // Every value could be thousands or a decimal: this file alone is ambiguous.
    "users/ambiguous.csv": "extId|score\nu5|1.200\nu6|3.500\n",
    "profiles/part-00001.ndjson": `${JSON.stringify({
      extId: "u7",
      profile: { email: "u7@example.com", score: 7.25, fcm: TOKENS.profileToken },
    })}\n`,
    "devices.csv":
      "platform,extId,installationId,osVersion,token,deviceToken\n" +
      `ANDROID,u1,i-1,13,${TOKENS.token},${TOKENS.deviceToken}\n`,
    "devices/scan.json": JSON.stringify({
      devices: [
        { extId: "u2", installationId: "i-2", platform: "IOS", fcmToken: TOKENS.jsonToken },
      ],
    }),
    "tags/vip.csv": "External ID\nu1\nu2\nu3\nu4\nu5\nu6\nu7\n",
  });

  const mapping = join(out, "mapping.json");
  expect((await run(["audit", snapshot, "--out", out])).code).toBe(0);
  expect((await run(["map", snapshot, "--out", out])).code).toBe(0);
  expect(
    (await run(["map", snapshot, "--confirm", "--by", "test", "--mapping", mapping])).code,
  ).toBe(0);
  const plan = await run(["plan", snapshot, "--out", out, "--no-progress"]);
  expect(plan.err).toBe("");
  expect(plan.code).toBe(0);
  planStdout = plan.out;
  const exported = await run(["export-csv", snapshot, "--plan", out, "--out", join(out, "csv")]);
  expect(exported.err).toBe("");
  expect(exported.code).toBe(0);
});

describe("number formats per file", () => {
  it("reads a decimal comma file and a decimal point file", () => {
    expect(contact("u1").x_netmera_score).toBe(1234.5);
    expect(contact("u2").x_netmera_score).toBe(2.5);
    expect(contact("u3").x_netmera_score).toBe(1234.75);
    expect(contact("u4").x_netmera_score).toBe(0.5);
    expect(contact("u7").x_netmera_score).toBe(7.25);
  });

  it("quarantines only the ambiguous file's cells, naming it", () => {
    expect(contact("u5").x_netmera_score).toBeNull();
    const quarantine = parse(readFileSync(join(out, "quarantine.csv")), {
      columns: true,
    }) as Record<string, string>[];
    const dropped = quarantine.filter((row) => row.column === "score");
    expect(dropped.map((row) => [row.file, row.line, row.value])).toEqual([
      ["users/ambiguous.csv", "2", "1.200"],
      ["users/ambiguous.csv", "3", "3.500"],
    ]);
    expect(dropped[0]?.reason).toBe(
      'value dropped: cannot be read because the column in users/ambiguous.csv has numbers such as "1.200" that read as a decimal or as thousands in the two formats, and no value settles which format the column uses; the contact is planned without it',
    );
  });
});

describe("reconciliation", () => {
  it("counts dropped values apart from quarantined rows", () => {
    const reconciliation = JSON.parse(readFileSync(join(out, "reconciliation.json"), "utf8"));
    const phase = reconciliation.phases.find((p: { name: string }) => p.name === "contacts");
    expect(phase).toMatchObject({ read: 7, planned: 7, quarantined: 0, skipped: 0 });
    expect(phase.valuesDropped).toBe(2);
    const line = planStdout.split("\n").find((text) => text.startsWith("contacts"));
    expect(line).toMatch(/^contacts\s+7\s+7\s+0\s+0\s+2$/);
    expect(planStdout).toContain(
      'Values dropped are single cells left out of planned rows; quarantine.csv lists them with reasons starting "value dropped:".',
    );
  });
});

describe("device columns", () => {
  it("writes the platform, not the OS version, to netmera_os", () => {
    expect(contact("u1").netmera_os).toBe("ANDROID");
    expect(contact("u2").netmera_os).toBe("IOS");
    // Named with no value, so that a later plan clears a platform Odoo still holds.
    expect(contact("u3").netmera_os).toBeNull();
  });
});

describe("push tokens", () => {
  it("never reach any output file", () => {
    const files = allFiles(out);
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const path of files) {
      const text = readFileSync(path, "utf8");
      for (const token of Object.values(TOKENS)) {
        expect(text.includes(token), `${token} in ${path}`).toBe(false);
      }
    }
  });

  it("are counted by the audit", () => {
    const audit = JSON.parse(readFileSync(join(out, "audit.json"), "utf8"));
    expect(audit.pushTokens.withPushToken).toBe(2);
  });
});
