import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { xmlIdFor } from "../bridge/src/core/xml-id.js";
import { writeFiles } from "./input-support.js";
import { runCli } from "./support/cli.js";

const work = mkdtempSync(join(tmpdir(), "plan-identity-"));
const snapshot = join(work, "snapshot");
const out = join(work, "out");
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface PlanRow {
  xml_id: string;
  values: Record<string, unknown>;
}

function planRows(): PlanRow[] {
  return readFileSync(join(out, "plan", "contacts.ndjson"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as PlanRow);
}

function contact(extId: string): Record<string, unknown> {
  const row = planRows().find((candidate) => candidate.xml_id === xmlIdFor("user", extId));
  if (!row) throw new Error(`no contact for ${extId}`);
  return row.values;
}

function table(name: string): Record<string, string>[] {
  return parse(readFileSync(join(out, name)), { columns: true }) as Record<string, string>[];
}

interface MappingEntry {
  source: { kind: string; name: string };
  target: { field: string | null };
  reason: string;
}

let mapping: MappingEntry[] = [];

beforeAll(async () => {
  writeFiles(snapshot, {
    "profile-attributes.json": JSON.stringify({
      standardProfileAttributes: [{ code: "email", dataType: "STRING", name: "Email" }],
      customProfileAttributes: [
        { code: "companyId", dataType: "STRING", name: "Company" },
        { code: "accountManager", dataType: "STRING", name: "Account manager" },
      ],
    }),
    "owners.csv": "email,name\nilker@example.com,İlker Ş\n",
    "companies.csv": "companyId,name\nC-100,Acme A.Ş.\nC-200,Beta Ltd\n",
    "users/a.csv":
      "externalId,name,surname,email,msisdn,companyId,accountManager,Model\n" +
      "N/A,Efe,E,n5@example.com,+905321111115,C-100,ilker@example.com,\n" +
      "N/A,Ayla,Z,n9@example.com,+905321111119,C-200,ilker@example.com,\n" +
      "-,Ela,F,n6@example.com,+905321111116,C-100,ilker@example.com,\n" +
      "x1,Jennifer,Null,jn@example.com,,C-100,İLKER@EXAMPLE.COM,\n" +
      "x2,null,Kaya,nk@example.com,,C-999,ilker@example.com,SM-G991B\n" +
      "x3,Can,Ak,ca@example.com,,C-200,ilker@example.com,Pixel 7\n" +
      "x4,Nur,Ak,na@example.com,,C-200,ilker@example.com,\n",
    "devices.csv":
      "platform,extId,installationId,deviceModel,appVersion\n" +
      "IOS,x2,inst-1,iPhone13.2,5.2.0\n" +
      "ANDROID,x3,inst-2,Pixel 7,5.1.0\n" +
      "IOS,x3,inst-3,iPhone15.4,5.2.0\n" +
      "ANDROID,x4,inst-4,Pixel 7,5.1.0\n" +
      "IOS,x4,inst-5,iPhone15.4,5.2.0\n",
  });
  const mappingFile = join(out, "mapping.json");
  expect((await runCli(["map", snapshot, "--out", out])).code).toBe(0);
  mapping = (JSON.parse(readFileSync(mappingFile, "utf8")) as { entries: MappingEntry[] }).entries;
  const plan = await runCli(["plan", snapshot, "--out", out, "--no-progress"]);
  expect(plan.stderr).toContain("the mapping has not been confirmed");
  expect(plan.code).toBe(0);
});

describe("placeholder extIds", () => {
  it("plans each placeholder row apart", () => {
    const anonymous = planRows().filter((row) => row.values.netmera_external_id === undefined);
    expect(anonymous.map((row) => row.values.email).sort()).toEqual([
      "n5@example.com",
      "n6@example.com",
      "n9@example.com",
    ]);
    expect(anonymous.map((row) => row.values.name).sort()).toEqual(["Ayla Z", "Efe E", "Ela F"]);
    expect(anonymous.every((row) => row.values.netmera_needs_enrichment === true)).toBe(true);
  });

  it("lists each placeholder as dropped", () => {
    const dropped = table("quarantine.csv").filter((row) => row.column === "externalId");
    expect(dropped.map((row) => [row.line, row.value])).toEqual([
      ["2", "N/A"],
      ["3", "N/A"],
      // Quarantine cells are written safe for spreadsheets.
      ["4", "'-"],
    ]);
    expect(dropped[0]?.reason).toBe(
      'value dropped: "N/A" stands for a missing extId, so the row is read as a user without extId and joined by its e-mail or MSISDN',
    );
  });
});

describe("the literal null", () => {
  it("keeps the surname Null", () => {
    expect(contact("x1").name).toBe("Jennifer Null");
    expect(contact("x2").name).toBe("Kaya");
  });
});

describe("company and owner links", () => {
  it("proposes links despite one unmatched id", () => {
    const company = mapping.find((entry) => entry.source.name === "companyId");
    expect(company?.target.field).toBe("parent_id");
    expect(company?.reason).toBe(
      "values are company ids from companies.csv; links the contact to its company; 1 of 3 distinct values match none and are flagged unknown_company",
    );
    const owner = mapping.find((entry) => entry.source.name === "accountManager");
    expect(owner?.target.field).toBe("user_id");
    expect(owner?.reason).toBe(
      "values are e-mails of panel users in owners.csv; set as the contact's salesperson",
    );
  });

  it("links matching companies and owners", () => {
    expect(contact("x1").parent_id).toEqual({ xml_id: xmlIdFor("company", "C-100") });
    expect(contact("x1").user_id).toEqual({ owner_email: "ilker@example.com" });
    expect(contact("x3").parent_id).toEqual({ xml_id: xmlIdFor("company", "C-200") });
  });

  it("drops and flags an unknown company", () => {
    expect(contact("x2").parent_id).toBeUndefined();
    const dropped = table("quarantine.csv").filter((row) => row.column === "companyId");
    expect(dropped).toEqual([
      {
        file: "users/a.csv",
        line: "6",
        column: "companyId",
        value: "C-999",
        reason:
          "value dropped: no company in companies.csv has this id; the contact is planned without it",
      },
    ]);
    const flags = table("flags.csv").filter((row) => row.flag === "unknown_company");
    expect(flags.map((row) => row.extid)).toEqual(["x2"]);
  });
});

describe("device fields", () => {
  it("keeps one device per contact", () => {
    const values = contact("x2");
    expect(values.netmera_device_model).toBe("SM-G991B");
    expect(values.netmera_os).toBeNull();
    expect(values.netmera_app_version).toBeNull();
    const dropped = table("quarantine.csv").filter((row) => row.file === "devices.csv");
    expect(dropped.map((row) => [row.line, row.column, row.value])).toEqual([
      ["2", "platform", "IOS"],
      ["2", "deviceModel", "iPhone13.2"],
      ["2", "appVersion", "5.2.0"],
    ]);
    expect(dropped[0]?.reason).toBe(
      'value dropped: the user export names another device (Model "SM-G991B"), and a contact\'s device fields come from one device',
    );
  });

  it("takes the installation the export names", () => {
    const values = contact("x3");
    expect(values.netmera_os).toBe("ANDROID");
    expect(values.netmera_device_model).toBe("Pixel 7");
    expect(values.netmera_app_version).toBe("5.1.0");
    const flag = table("flags.csv").find(
      (row) => row.flag === "several_devices" && row.extid === "x3",
    );
    expect(flag).toMatchObject({
      flag: "several_devices",
      detail:
        "2 installations; the device fields come from the one the user export names (devices.csv line 3)",
    });
  });

  it("flags several installations", () => {
    const values = contact("x4");
    expect(values.netmera_os).toBe("IOS");
    expect(values.netmera_device_model).toBe("iPhone15.4");
    const flag = table("flags.csv").find(
      (row) => row.flag === "several_devices" && row.extid === "x4",
    );
    expect(flag).toMatchObject({
      detail: "2 installations; the device fields come from the last listed (devices.csv line 6)",
    });
  });
});

describe("a skipped attribute that gains values", () => {
  const root = join(work, "regrown");
  const result = join(work, "regrown-out");

  it("lists the new values as dropped", async () => {
    writeFiles(root, {
      "profile-attributes.json": JSON.stringify({
        customProfileAttributes: [{ code: "membershipTier", dataType: "STRING", name: "Tier" }],
      }),
      "users/a.csv": "extId,email,membershipTier\nu1,u1@example.com,\n",
    });
    expect((await runCli(["map", root, "--out", result])).code).toBe(0);
    writeFiles(root, { "users/b.csv": "extId,email,membershipTier\nu3,u3@example.com,gold\n" });
    const plan = await runCli(["plan", root, "--out", result, "--no-progress"]);
    expect(plan.code).toBe(0);

    const rows = parse(readFileSync(join(result, "quarantine.csv")), {
      columns: true,
    }) as Record<string, string>[];
    expect(rows).toEqual([
      {
        file: "users/b.csv",
        line: "2",
        column: "membershipTier",
        value: "gold",
        reason:
          "value dropped: the mapping skips this column because it had no values when map ran (run map again to give it a field); the contact is planned without it",
      },
    ]);
  });
});

describe("users without extId", () => {
  it("counts rows merged by e-mail apart", async () => {
    const root = join(work, "anonymous");
    const result = join(work, "anonymous-out");
    writeFiles(root, {
      "users/a.csv": "extId,email\n,same@example.com\n,same@example.com\nu1,u1@example.com\n",
    });
    expect((await runCli(["map", root, "--out", result])).code).toBe(0);
    expect((await runCli(["plan", root, "--out", result, "--no-progress"])).code).toBe(0);

    const reconciliation = JSON.parse(readFileSync(join(result, "reconciliation.json"), "utf8"));
    const contacts = reconciliation.phases.find((p: { name: string }) => p.name === "contacts");
    expect(contacts.skippedReasons).toEqual({
      "merged into an earlier row without extId with the same e-mail or MSISDN": 1,
    });
  });
});

describe("membership file names", () => {
  it("rejects a tag file with a blank name", async () => {
    const root = join(work, "blank-tag");
    writeFiles(root, { "users/a.csv": "extId\nu1\n", "tags/ .csv": "extId\nu1\n" });
    const result = await runCli(["map", root, "--out", join(work, "blank-tag-out")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "tags/ .csv: names no tag: the name is blank; rename it after the tag it lists",
    );
  });
});

describe("plan output folder", () => {
  it("rejects a folder inside the snapshot", async () => {
    const result = await runCli(["plan", snapshot, "--out", join(snapshot, "work")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `${join(snapshot, "work")} is inside the snapshot folder ${snapshot}, where it would ` +
        "change the snapshot's hash and fail its manifest check; write the plan elsewhere",
    );
  });

  it("keeps files it did not write", async () => {
    writeFiles(out, { "plan/important.txt": "keep me" });
    const result = await runCli(["plan", snapshot, "--out", out, "--no-progress"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `${join(out, "plan")} holds files plan did not write (important.txt); plan replaces ` +
        "that folder, so move them or choose another --out",
    );
    expect(readFileSync(join(out, "plan/important.txt"), "utf8")).toBe("keep me");
    rmSync(join(out, "plan/important.txt"));
  });
});

describe("a wide export", () => {
  it("warns when map creates hundreds of fields", async () => {
    const root = join(work, "wide");
    const headers = Array.from({ length: 310 }, (_, index) => `extra${index}`);
    writeFiles(root, {
      "users/a.csv": `extId,${headers.join(",")}\nu1,${headers.map(() => "x").join(",")}\n`,
    });
    const result = await runCli(["map", root, "--out", join(work, "wide-out")]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      "warning: the mapping creates 310 contact fields; each is a column of res_partner",
    );
  });
});

describe("a tag file keyed by e-mail", () => {
  it("does not link a row whose e-mail is invalid", async () => {
    const root = join(work, "tag-mail");
    const result = join(work, "tag-mail-out");
    writeFiles(root, {
      "users/a.csv": "extId,email\nu1,u1@example.com\n",
      "tags/vip.csv": "Email\nu1@example.com\nnot-an-email\n",
    });
    expect((await runCli(["map", root, "--out", result])).code).toBe(0);
    expect((await runCli(["plan", root, "--out", result, "--no-progress"])).code).toBe(0);

    const rows = parse(readFileSync(join(result, "quarantine.csv")), {
      columns: true,
    }) as Record<string, string>[];
    expect(rows).toEqual([
      {
        file: "tags/vip.csv",
        line: "3",
        column: "email",
        value: "not-an-email",
        reason: "membership not linked: not an e-mail address, and the row has no extId or MSISDN",
      },
    ]);
    const contacts = readFileSync(join(result, "plan", "contacts.ndjson"), "utf8").trim();
    expect(contacts.split("\n")).toHaveLength(1);
  });
});

describe("an empty export", () => {
  it("says what to do with it", async () => {
    const root = join(work, "empty");
    writeFiles(root, { "users/a.csv": "extId\nu1\n", "users/b.csv": "" });
    const result = await runCli(["map", root, "--out", join(work, "empty-out")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "users/b.csv: is empty (no header line). An export of a segment without members can be " +
        "an empty file: remove it from the exports folder and run pull again, or delete it from " +
        "a snapshot that has no manifest.json",
    );
  });
});

describe("an unclosed quote", () => {
  it("names the row where it opens", async () => {
    const root = join(work, "unclosed");
    writeFiles(root, {
      "users/a.csv":
        'extId|name|email\np1|"Ali|p1@example.com\np2|Veli|p2@example.com\np3|Can|c@example.com\n',
    });
    const result = await runCli(["map", root, "--out", join(work, "unclosed-out")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "users/a.csv: line 2: a quoted field opens in this row and is not closed before the end " +
        "of the file (line 4); close the quote or remove it",
    );
  });
});
