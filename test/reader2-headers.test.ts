import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { matchHeaders } from "../bridge/src/snapshot/headers.js";
import type { ProfileAttribute } from "../bridge/src/snapshot/schemas.js";
import { openSnapshot, openSnapshotTable } from "../bridge/src/snapshot/snapshot.js";
import { writeFiles, writeSnapshotManifest } from "./input-support.js";
import { runCli } from "./support/cli.js";

const FIXTURE = join(import.meta.dirname, "fixtures/reader/plan-basic");
const work = mkdtempSync(join(tmpdir(), "reader2-headers-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const STANDARD: ProfileAttribute[] = [
  "dateOfBirth",
  "gender",
  "maritalStatus",
  "city",
  "country",
  "language",
].map((code) => ({ code, dataType: "STRING" }) as ProfileAttribute);

async function run(args: string[]) {
  const { code, stdout, stderr } = await runCli(args);
  return { code, out: stdout, err: stderr };
}

describe("header meanings", () => {
  it.each([
    ["Kullanıcı ID", "extId"],
    ["KULLANICI_ID", "extId"],
    ["kullanici-id", "extId"],
    ["USER_ID", "extId"],
    ["user id", "extId"],
    ["Harici ID", "extId"],
    ["E-posta Adresi", "email"],
    ["E_POSTA_ADRESI", "email"],
    ["EMAIL_ADDRESS", "email"],
    ["Cep Telefonu", "msisdn"],
    ["Telefon", "msisdn"],
    ["Ad", "name"],
    ["Soyad", "surname"],
    ["Doğum Tarihi", "attr:dateOfBirth"],
    ["DOGUM_TARIHI", "attr:dateOfBirth"],
    ["Cinsiyet", "attr:gender"],
    ["Şehir", "attr:city"],
    ["SEHIR", "attr:city"],
    ["Ülke", "attr:country"],
    ["Dil", "attr:language"],
    ["Medeni Durum", "attr:maritalStatus"],
  ])("%s means %s", (header, meaning) => {
    const matched = matchHeaders([header], "users", STANDARD, "users/t.csv");
    expect(matched.meanings).toEqual([meaning]);
  });

  it("keeps a Turkish label unknown without its attribute", () => {
    const matched = matchHeaders(["Doğum Tarihi"], "users", [], "users/t.csv");
    expect(matched.meanings).toEqual(["column:Doğum Tarihi"]);
  });
});

describe("users file without identity", () => {
  it("is rejected with its headers", async () => {
    const root = join(work, "no-identity");
    writeFiles(root, { "users/t.csv": "Kullanıcı Numarası;Ad;Soyad\nH1;Ali;Veli\n" });
    const snapshot = await openSnapshot(root, { logger: silentLogger });
    await expect(openSnapshotTable(snapshot, "users/t.csv", "users")).rejects.toThrow(
      "users/t.csv: no column is an extId, email or MSISDN, so no row can be tied to a user; " +
        'headers: "Kullanıcı Numarası", "Ad", "Soyad". Rename the user ID column to ' +
        '"External ID" (also read: extId, externalId, User ID, Kullanıcı ID, Harici ID) and run again',
    );
  });

  it("stops map with the message", async () => {
    const root = join(work, "no-identity-map");
    cpSync(FIXTURE, root, { recursive: true });
    writeFileSync(join(root, "users/t.csv"), "Numara,Ad\nH1,Ali\n");
    await writeSnapshotManifest(root);
    const result = await run(["map", root, "--out", join(work, "no-identity-out")]);
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      "error: users/t.csv: no column is an extId, email or MSISDN, so no row can be tied to a " +
        'user; headers: "Numara", "Ad". Rename the user ID column to "External ID" (also read: ' +
        "extId, externalId, User ID, Kullanıcı ID, Harici ID) and run again\n",
    );
  });
});

describe("Turkish and upper-snake exports", () => {
  it("plan links users by their extId", async () => {
    const root = join(work, "turkish");
    cpSync(FIXTURE, root, { recursive: true });
    writeFiles(root, {
      "users/t.csv":
        "Kullanıcı ID;Ad;Soyad;E-posta Adresi;Cep Telefonu;Doğum Tarihi\n" +
        "H1;Ali;Veli;ali@example.com;05321234567;01.02.1990\n",
      "users/t2.csv":
        "USER_ID,FIRST_NAME,LAST_NAME,EMAIL_ADDRESS,MOBILE_PHONE\n" +
        "H2,Ayla,Kurt,ayla@example.com,+905321112233\n",
    });
    await writeSnapshotManifest(root);
    const out = join(work, "turkish-out");
    expect((await run(["map", root, "--out", out])).code).toBe(0);
    expect((await run(["plan", root, "--out", out])).code).toBe(0);

    const rows = readFileSync(join(out, "plan/contacts.ndjson"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { xml_id: string; values: Record<string, unknown> });
    const h1 = rows.find((row) => row.values.netmera_external_id === "H1");
    const h2 = rows.find((row) => row.values.netmera_external_id === "H2");
    expect(h1?.xml_id).toMatch(/^netmera_user_h1_[0-9a-f]{12}$/);
    expect(h1?.values.email).toBe("ali@example.com");
    expect(h1?.values.name).toBe("Ali Veli");
    expect(h1?.values.netmera_needs_enrichment).toBe(false);
    expect(h1?.values.x_netmera_date_of_birth).toBe("1990-02-01");
    const withValues = Object.entries(h1?.values ?? {}).filter(
      ([key, value]) => key.startsWith("x_netmera_") && value !== null,
    );
    expect(withValues.map(([key]) => key)).toEqual(["x_netmera_date_of_birth"]);
    expect(h2?.values.email).toBe("ayla@example.com");
    expect(h2?.values.name).toBe("Ayla Kurt");
  });
});
