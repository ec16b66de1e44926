import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { xmlIdFor } from "../bridge/src/core/xml-id.js";
import { checkHiddenCharacters, markXmlForbidden } from "../bridge/src/normalize/hidden-chars.js";
import { planRowLine } from "../bridge/src/plan/outputs.js";
import { planRows, planSnapshot, type PlannedSnapshot } from "./support/plan-snapshot.js";

// The bridge sends plan rows to Odoo through this serializer, which rejects what XML cannot hold.
const serializer = createRequire(import.meta.url)("xmlrpc/lib/serializer.js") as {
  serializeMethodCall(method: string, params: unknown[]): string;
};

const work = mkdtempSync(join(tmpdir(), "plan-hidden-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let plan: PlannedSnapshot;

function contact(extId: string): Record<string, unknown> {
  const values = plan.contacts.get(xmlIdFor("user", extId));
  if (!values) throw new Error(`no contact for ${JSON.stringify(extId)}`);
  return values;
}

beforeAll(async () => {
  plan = await planSnapshot(work, {
    "users/people.csv":
      "extId,First Name,Last Name,Email\n" +
      "u1,Ay\u0001şe,Yıl\u200bmaz,u1@example.com\n" +
      "u2,\u0002,Demir,u2@example.com\n" +
      "u3\u0007,Can,Kaya,u3@example.com\n" +
      "u4,Zeynep,Arslan,u4@example.com\n",
    "tags/vip.csv": "External ID\nu1\nu2\nu4\n",
    "companies.csv": "companyId,name,city\nC-1,Acme\u0001 Ltd,Bur\u0002sa\nC-2,\u0003,Ankara\n",
  });
});

describe("control characters in contact values", () => {
  it("are removed, so that every contact row can be sent over XML-RPC", () => {
    expect(plan.rows).toHaveLength(4);
    expect(contact("u1").name).toBe("Ayşe Yıl\u200bmaz");
    for (const row of plan.rows) {
      expect(() => serializer.serializeMethodCall("import_batch", [row.values])).not.toThrow();
    }
  });

  it("are flagged with the column, the code point and the place", () => {
    const u1 = plan.flags.filter((flag) => flag.xml_id === xmlIdFor("user", "u1"));
    expect(u1.map((flag) => [flag.flag, flag.detail])).toEqual(
      expect.arrayContaining([
        [
          "control_characters",
          `column "First Name": removed U+0001 (users/people.csv line 2), which Odoo's XML-RPC cannot carry`,
        ],
        [
          "invisible_characters",
          `column "Last Name" contains U+200B (users/people.csv line 2), which does not show; check the value`,
        ],
      ]),
    );
  });

  it("drop a value that holds nothing else, with a quarantine row", () => {
    expect(contact("u2").name).toBe("Demir");
    const dropped = plan.quarantine.filter(
      (row) => row.line === "3" && row.column === "First Name",
    );
    expect(dropped).toHaveLength(1);
    expect(dropped[0]?.reason).toBe(
      "value dropped: it contains only control characters, which Odoo's XML-RPC cannot carry; the contact is planned without it",
    );
  });

  it("leave the extId's external ID as it was and clean the stored extId", () => {
    const values = contact("u3\u0007");
    expect(values.netmera_external_id).toBe("u3");
    const flag = plan.flags.find((row) => row.xml_id === xmlIdFor("user", "u3\u0007"));
    expect(flag?.flag).toBe("control_characters");
    expect(flag?.detail).toContain('column "extId": removed U+0007');
  });

  it("leave values without hidden characters alone", () => {
    expect(contact("u4").name).toBe("Zeynep Arslan");
    expect(plan.flags.filter((flag) => flag.xml_id === xmlIdFor("user", "u4"))).toEqual([]);
  });
});

describe("control characters in companies", () => {
  it("are removed from the name and the city, with flags", () => {
    const companies = planRows(plan.out, "companies");
    expect(companies.map((row) => row.values.name)).toEqual(["Acme Ltd"]);
    expect(companies[0]?.values.city).toBe("Bursa");
    const details = plan.flags
      .filter((flag) => flag.xml_id === xmlIdFor("company", "C-1"))
      .map((flag) => flag.detail);
    expect(details).toEqual([
      "removed U+0001 (companies.csv line 2), which Odoo's XML-RPC cannot carry",
      "removed U+0002 (companies.csv line 2), which Odoo's XML-RPC cannot carry",
    ]);
  });

  it("reject a company whose name is only control characters", () => {
    const rejected = plan.quarantine.filter((row) => row.file === "companies.csv");
    expect(rejected.map((row) => [row.line, row.reason])).toEqual([
      [
        "3",
        "row rejected: the company name contains only control characters, which Odoo's XML-RPC cannot carry",
      ],
    ]);
  });
});

describe("hidden character checks", () => {
  it("tell lone surrogates from pairs", () => {
    expect(checkHiddenCharacters("a\ud83d\ude00b")).toEqual({ text: "a\ud83d\ude00b" });
    expect(checkHiddenCharacters("a\ud83db")).toEqual({ text: "ab", removed: "U+D83D" });
    expect(checkHiddenCharacters("a\ude00")).toEqual({ text: "a", removed: "U+DE00" });
  });

  it("keep tab, line feed and carriage return", () => {
    expect(checkHiddenCharacters("a\tb\nc\rd")).toEqual({ text: "a\tb\nc\rd" });
  });

  it("mark forbidden characters in message text instead of dropping them", () => {
    expect(markXmlForbidden("Sale\u0000 today\u200c")).toBe("Sale[U+0000] today\u200c");
  });
});

describe("plan rows of other phases", () => {
  const row = (name: string) => ({
    xml_id: "netmera_segment_x",
    values: { name },
    source: { file: "segments.json", line: 4 },
  });

  it("stop plan with the row and the code point", () => {
    expect(() => planRowLine(row("VIP\u0001"))).toThrow(
      "segments.json: the row planned as netmera_segment_x from segments.json line 4 contains the character U+0001, which Odoo's XML-RPC cannot carry; remove it from the source and run plan again",
    );
  });

  it("stop plan on a lone surrogate and U+FFFF", () => {
    expect(() => planRowLine(row("a\ud800"))).toThrow("contains the character U+D800");
    expect(() => planRowLine(row("a\uffff"))).toThrow("contains the character U+FFFF");
    expect(() => planRowLine(row("a\bc"))).toThrow("contains the character U+0008");
  });

  it("pass backslashes, emoji and line breaks", () => {
    for (const text of ["C:\\new\\folder", "\\b", "a\tb\nc", "\ud83d\ude00", "İstanbul"]) {
      expect(planRowLine(row(text))).toContain('"hash"');
    }
  });
});
