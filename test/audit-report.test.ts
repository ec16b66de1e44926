import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAudit } from "../bridge/src/audit/run-audit.js";
import type { AuditReport } from "../bridge/src/audit/types.js";
import { silentLogger } from "../bridge/src/core/log.js";

const FILES: Record<string, string> = {
  "profile-attributes.json": JSON.stringify({
    standardProfileAttributes: ["name", "surname", "email", "country", "city"].map((code) => ({
      code,
      dataType: "STRING",
      name: code,
    })),
    customProfileAttributes: [],
  }),
  "event-definitions.json": JSON.stringify({
    standardEvents: [{ code: "n:oa", name: "Open App" }],
    customEvents: [
      { code: "page_view", name: "Page View" },
      { code: "purchase", name: "Purchase" },
    ],
  }),
  "users/a.csv": [
    "extId,name,surname,email,country,city",
    "u1,Ayşe,Yılmaz,ayse@example.com,TR,İstanbul",
    "U1,Ali,Kaya,ali@example.com,Almanya,Köln",
    "u2,Hans,Müller,hans@example.de,DE,Berlin",
    "u3,Zoë,Dubois,zoe@example.fr,FR,Paris",
    "u4,John,Smith,john@example.com,US,Boston",
    ",Anon,,anon@example.com,TR,null",
    "u5,<script>x</script>,Test,u5@example.com,Atlantis,",
    "u6,Deniz,Kara,deniz@example.com,null,",
  ].join("\r\n"),
  "users/b.csv": ["extId;city;email", "u3;Lyon;", "u2;Berlin;HANS@example.de"].join("\r\n"),
  "segments.json": JSON.stringify({
    list: [
      { id: 10, name: "A", userCount: 3, type: "STANDARD" },
      { id: 11, name: "B", userCount: 2, type: "STANDARD" },
      { id: 12, name: "C", userCount: null, type: "CONNECTORS_SEGMENT" },
    ],
  }),
  "segment-users/10.csv": "externalId,msisdn,email\r\nu1,,\r\nu2,,\r\nu5,,\r\n",
  "segment-users/11.csv": "externalId,msisdn,email\r\nu2,,\r\nu4,,\r\n",
  "tags/vip.csv": "External ID\r\nu1\r\nU1\r\n",
  "tags/news.csv": "External ID\r\nu4\r\nu6\r\n",
  "devices.csv": [
    "platform,extId,installationId,model,appVersion,osVersion,token,pushPermitted",
    "IOS,u1,i1,iPhone,1.0,17.4,TOKENAAAA1111SECRET,true",
    "ANDROID,u2,i2,Pixel,1.0,14,TOKENBBBB2222SECRET,false",
    "ANDROID,,i3,Pixel,1.0,14,,false",
  ].join("\r\n"),
  "events/e.csv": [
    "externalId,installationId,eventCode,timestamp,attributes",
    'u1,,page_view,2024-05-01T10:00:00+03:00,"{""page"":""/"",""sec"":5}"',
    'u1,,page_view,2024-05-01T10:01:00+03:00,"{""page"":""/a"",""sec"":7}"',
    'u2,,purchase,2024-05-02T10:00:00+03:00,"{""amount"":12.5,""items"":[""a""]}"',
    ",,n:oa,2024-05-02T11:00:00+03:00,",
    "u4,,odd,2024-05-03T10:00:00+03:00,not json",
  ].join("\r\n"),
  "campaigns.json": JSON.stringify({
    campaigns: [
      {
        id: "c1",
        name: "Big",
        channel: "PUSH",
        assets: [
          { type: "image", sizeBytes: 2_000_000 },
          { type: "video", sizeBytes: 5_000_000 },
        ],
      },
      {
        id: "c2",
        name: "Mail",
        channel: "EMAIL",
        assets: [{ type: "video", sizeBytes: 13_000_000 }],
      },
    ],
  }),
  "push-results/1.csv":
    "platform,status,extId\r\nIOS,SUCCESS,u1\r\nIOS,CLICKED,u1\r\nANDROID,FAILED,u2\r\n",
  "journeys.json": JSON.stringify({ journeys: [{ id: 1 }, { id: 2 }] }),
  "widgets.json": JSON.stringify([{ id: 1 }]),
  "owners.csv":
    "name,surname,email\r\nSelin,Kaya,selin@example.com\r\nBurak,Öz,burak@example.com\r\n",
};

let work: string;
let report: AuditReport;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "mapping-audit-"));
  const snapshot = join(work, "snapshot");
  const hashes: Record<string, string> = {};
  for (const [path, content] of Object.entries(FILES)) {
    mkdirSync(dirname(join(snapshot, path)), { recursive: true });
    writeFileSync(join(snapshot, path), content);
    hashes[path] = createHash("sha256").update(content).digest("hex");
  }
  writeFileSync(
    join(snapshot, "manifest.json"),
    JSON.stringify({
      app: "test",
      pulledAt: "2024-07-01T00:00:00Z",
      sourceTimeZone: "Europe/Istanbul",
      files: hashes,
    }),
  );
  ({ report } = await runAudit(snapshot, join(work, "out"), silentLogger));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe("audit users", () => {
  it("counts identified and anonymous users", () => {
    expect(report.users.total).toBe(9);
    expect(report.users.identified).toBe(7);
    expect(report.users.anonymous).toBe(2);
    expect(report.users.anonymousInUserFiles).toBe(1);
    expect(report.users.anonymousInstallations).toBe(1);
  });

  it("counts user rows per file", () => {
    expect(report.users.userRowsPerFile).toEqual({ "users/a.csv": 8, "users/b.csv": 2 });
  });

  it("reports a real conflict but not a spelling difference", () => {
    expect(report.users.usersWithConflicts).toBe(1);
    expect(report.users.conflictSample).toEqual([
      {
        user: "u3",
        column: "city",
        kept: "Paris (users/a.csv line 5)",
        other: "Lyon (users/b.csv line 2)",
      },
    ]);
  });
});

describe("audit segment coverage", () => {
  it("counts users in some and in no segment", () => {
    expect(report.segmentCoverage.usersInSomeSegment).toBe(4);
    expect(report.segmentCoverage.usersInNoSegment).toBe(5);
    expect(report.segmentCoverage.coveragePercent).toBe(44.4);
  });

  it("lists the users in no segment", () => {
    const csv = readFileSync(join(work, "out", "users-without-segment.csv"), "utf8");
    const rows = parse(csv, { columns: true }) as { user: string; file: string; line: string }[];
    expect(rows.map((row) => row.user).sort()).toEqual([
      "(anonymous, devices.csv line 4)",
      "(anonymous, users/a.csv line 7)",
      "U1",
      "u3",
      "u6",
    ]);
  });

  it("compares declared and found members per segment", () => {
    expect(report.segmentCoverage.segments).toEqual([
      {
        id: "10",
        name: "A",
        type: "STANDARD",
        declaredUserCount: 3,
        membersFound: 3,
        membershipFile: true,
      },
      {
        id: "11",
        name: "B",
        type: "STANDARD",
        declaredUserCount: 2,
        membersFound: 2,
        membershipFile: true,
      },
      {
        id: "12",
        name: "C",
        type: "CONNECTORS_SEGMENT",
        declaredUserCount: null,
        membersFound: 0,
        membershipFile: false,
      },
    ]);
    expect(report.segmentCoverage.segmentsWithMembershipFile).toBe(2);
  });
});

describe("audit tags and GDPR", () => {
  it("counts users without a tag", () => {
    expect(report.tags.usersWithNoTag).toBe(5);
    expect(report.tags.identifiedWithNoTag).toBe(3);
    expect(report.tags.tags).toEqual([
      { name: "news", members: 2 },
      { name: "vip", members: 2 },
    ]);
  });

  it("counts users in EU and EEA countries", () => {
    expect(report.gdpr.euEeaUsers).toBe(3);
    expect(report.gdpr.byCountry).toEqual({ TR: 2, DE: 2, FR: 1, US: 1 });
    expect(report.gdpr.usersWithoutCountry).toBe(2);
    expect(report.gdpr.unrecognisedCountries).toBe(1);
  });
});

describe("audit devices, events and campaigns", () => {
  it("counts push tokens without writing them", () => {
    expect(report.pushTokens).toEqual({
      installations: 3,
      withPushToken: 2,
      pushPermitted: 1,
      byPlatform: { IOS: 1, ANDROID: 2 },
    });
    for (const file of ["audit.json", "audit.md", "users-without-segment.csv"]) {
      const text = readFileSync(join(work, "out", file), "utf8");
      expect(text).not.toContain("TOKENAAAA");
      expect(text).not.toContain("TOKENBBBB");
    }
  });

  it("samples the event schema", () => {
    expect(report.events.total).toBe(5);
    expect(report.events.withoutUser).toBe(1);
    expect(report.events.badAttributes).toBe(1);
    expect(report.events.codes).toEqual([
      { code: "n:oa", count: 1, defined: true, attributes: [] },
      { code: "odd", count: 1, defined: false, attributes: [] },
      {
        code: "page_view",
        count: 2,
        defined: true,
        attributes: [
          { key: "page", type: "string", values: 2 },
          { key: "sec", type: "integer", values: 2 },
        ],
      },
      {
        code: "purchase",
        count: 1,
        defined: true,
        attributes: [
          { key: "amount", type: "number", values: 1 },
          { key: "items", type: "array", values: 1 },
        ],
      },
    ]);
  });

  it("flags oversized campaign assets", () => {
    expect(report.campaigns.byChannel).toEqual({ PUSH: 1, EMAIL: 1 });
    expect(report.campaigns.oversizedAssets).toEqual([
      { campaign: "Big", type: "image", sizeBytes: 2_000_000 },
      { campaign: "Mail", type: "video", sizeBytes: 13_000_000 },
    ]);
    expect(report.campaigns.pushResultRows).toBe(3);
  });

  it("counts every object", () => {
    expect(report.counts).toEqual({
      users: 9,
      anonymousUsers: 2,
      segments: 3,
      tags: 2,
      installations: 3,
      events: 5,
      eventCodes: 4,
      campaigns: 2,
      pushResultRows: 3,
      journeys: 2,
      widgets: 1,
      surveys: 0,
      owners: 2,
      companies: 0,
    });
  });

  it("escapes source text in audit.md", () => {
    const markdown = readFileSync(join(work, "out", "audit.md"), "utf8");
    expect(markdown).toContain("9 users");
    expect(markdown).not.toContain("<script>");
  });
});
