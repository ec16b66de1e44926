import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isPushTokenHeader, matchHeaders } from "../bridge/src/snapshot/headers.js";
import { looksLikePushToken } from "../bridge/src/snapshot/users.js";
import { foldKey } from "../bridge/src/normalize/text.js";
import { writeFiles, writeSnapshotManifest } from "./input-support.js";
import { runCliOrThrow } from "./support/cli.js";

const work = mkdtempSync(join(tmpdir(), "reader2-token-columns-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const APNS = "d4951aae7402ec8b0b3e449d1ab62b5bac268169c7d48b386c819cdee4da8fc8";
const FCM = "9d76a4f088d:APA91b6b9a048256b614dfe953093df3abb136f1cecf43f4fcd3582bcdce9c07";
const FCM_IN_NOTE = "c0ffee12345:APA91bHiddenUnderAnInnocentHeader0123456789abcdefABCDEF";

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

describe("push token columns under other names", () => {
  it.each([
    ["Installation Token", true],
    ["gcmRegId", true],
    ["Cihaz Anahtarı", true],
    ["APNs Token", true],
    ["Registration ID", true],
    ["Region", false],
    ["regionId", false],
    ["Registration Date", false],
  ])("header %s is a token column: %s", (header, expected) => {
    expect(isPushTokenHeader(foldKey(header))).toBe(expected);
  });

  it("matches such headers as push tokens in user exports", () => {
    const headers = ["externalId", "Installation Token", "gcmRegId", "Cihaz Anahtarı", "name"];
    const { meanings } = matchHeaders(headers, "users", [], "users/a.csv");
    expect(meanings).toEqual(["extId", "pushToken", "pushToken", "pushToken", "name"]);
  });

  it("knows FCM and APNs token shapes", () => {
    expect(looksLikePushToken(APNS)).toBe(true);
    expect(looksLikePushToken(FCM)).toBe(true);
    expect(looksLikePushToken(` ${FCM_IN_NOTE} `)).toBe(true);
    expect(looksLikePushToken("a".repeat(64))).toBe(true);
    expect(looksLikePushToken("g".repeat(64))).toBe(false);
    expect(looksLikePushToken(APNS.slice(1))).toBe(false);
    expect(looksLikePushToken("user:APA91b-too-short")).toBe(false);
  });

  it("keeps every token out of the plan and the import package", async () => {
    const root = join(work, "snapshot");
    writeFiles(root, {
      "users/a.csv":
        "externalId,name,email,Installation Token,gcmRegId,Cihaz Anahtarı,note\n" +
        `t1,Ali,t1@example.com,${APNS},${FCM},${FCM},${FCM_IN_NOTE}\n` +
        `t2,Ayşe,t2@example.com,,,,plain text\n`,
    });
    await writeSnapshotManifest(root);
    const out = join(work, "out");
    await runCliOrThrow(["audit", root, "--out", out]);
    await runCliOrThrow(["map", root, "--out", out]);
    await runCliOrThrow([
      "map",
      root,
      "--confirm",
      "--by",
      "test",
      "--mapping",
      join(out, "mapping.json"),
    ]);
    await runCliOrThrow(["plan", root, "--out", out]);
    await runCliOrThrow(["export-csv", root, "--plan", out, "--out", join(out, "odoo-import")]);

    const written = filesUnder(out);
    expect(written.some((file) => file.endsWith("res.partner.csv"))).toBe(true);
    for (const file of written) {
      const text = readFileSync(file, "utf8");
      for (const token of [APNS, FCM, FCM_IN_NOTE, "APA91b"]) {
        expect(text.includes(token), `${token} in ${file}`).toBe(false);
      }
    }
    const mapping = readFileSync(join(out, "mapping.json"), "utf8");
    expect(mapping).not.toContain("x_netmera_installation_token");
    expect(mapping).not.toContain("x_netmera_gcm_reg_id");
    const quarantine = readFileSync(join(out, "quarantine.csv"), "utf8");
    expect(quarantine).toContain(
      'users/a.csv,2,note,,"value dropped: shaped like a push token (FCM or APNs), which never leaves the snapshot"',
    );
    const contacts = readFileSync(join(out, "plan/contacts.ndjson"), "utf8");
    expect(contacts).toContain('"x_netmera_note":"plain text"');
  }, 60_000);
});
