import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { xmlIdFor } from "../bridge/src/core/xml-id.js";
import { planHistoryPhase } from "../bridge/src/history/history-phase.js";
import type { FlagEntry, QuarantineEntry } from "../bridge/src/history/phase-io.js";
import {
  PROFILE_SURVEY_TITLE,
  profileAnswers,
  surveyAttributeEntries,
  type ProfileSurveys,
} from "../bridge/src/history/survey-attributes.js";
import { ZoneClock } from "../bridge/src/history/time-zone.js";
import type { MessageRow } from "../bridge/src/history/types.js";
import type { Mapping, MappingEntry } from "../bridge/src/mapping/types.js";
import { streamJsonRecords } from "../bridge/src/snapshot/json-stream.js";
import { openTable } from "../bridge/src/snapshot/table.js";

function eventEntry(
  code: string,
  label: string,
  action: "note" | "activity" | "skip" | "tag",
  options?: MappingEntry["options"],
): MappingEntry {
  return {
    source: { kind: "event", name: code, label },
    target: { model: "mail.message", field: null, type: null, action },
    confidence: 1,
    reason: "test",
    review: false,
    ...(options ? { options } : {}),
  };
}

const mapping: Mapping = {
  version: 1,
  snapshotHash: "test",
  proposedAt: "2024-07-01T00:00:00Z",
  settings: { eventConsolidationThreshold: 10, arraySeparator: ";" },
  confirmation: null,
  entries: [
    eventEntry("page_view", "Sayfa", "note"),
    eventEntry("n:oa", "n:oa", "note"),
    eventEntry("search", "Arama", "note", { consolidationThreshold: 2 }),
    eventEntry("purchase", "Satın Alma", "activity"),
    eventEntry("legacy", "Legacy", "skip"),
    eventEntry("bad_target", "Bad", "tag"),
    eventEntry("survey_response", "Anket", "note", { survey: true }),
  ],
};

/** `count` page views of one contact on 2024-03-02 (Istanbul), from 00:30 to 23:40, shuffled. */
function pageViews(extId: string, count: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const minute = i === count - 1 ? 23 * 60 + 40 : 30 + i * 60;
    const hh = String(Math.floor(minute / 60)).padStart(2, "0");
    const mm = String(minute % 60).padStart(2, "0");
    lines.push(`${extId},page_view,2024-03-02T${hh}:${mm}:00,"{""page"":""/p${i}""}",tok-ev-${i}`);
  }
  return lines.reverse();
}

function writeSnapshot(dir: string): void {
  mkdirSync(join(dir, "events"), { recursive: true });
  mkdirSync(join(dir, "push-results"), { recursive: true });
  const header = "externalId,eventCode,timestamp,attributes,Device Token";
  const first = [
    header,
    ...pageViews("ayse.k", 11),
    ...pageViews("mehmet", 10),
    `mehmet,search,2024-03-05T10:00:00+03:00,"{""term"":""çanta""}",`,
    `mehmet,search,2024-03-05T11:00:00+03:00,"{""term"":""<script>""}",`,
    `mehmet,search,2024-03-05T12:00:00+03:00,"{""term"":""ayakkabı""}",`,
    `ayse.k,purchase,2024-02-10T12:15:00+03:00,"{""amount"":120,""pushToken"":""tok-SECRET-1""}",`,
    `ayse.k,n:oa,2024-02-01T09:00:00+03:00,{},`,
    `ayse.k,n:oa,2024-02-01T09:00:00+03:00,{},`,
    `mehmet,legacy,2024-02-01T09:00:00+03:00,{},`,
    `,page_view,2024-02-01T09:00:00+03:00,{},`,
  ];
  writeFileSync(join(dir, "events", "2024-03.csv"), `${first.join("\n")}\n`);

  const second = [
    "externalId;eventCode;timestamp;attributes",
    `zeynep;n:oa;2024-02-01 09:00;{}`,
    `mehmet;n:oa;2024-02-01 06:00:00Z;{}`,
    `ayse.k;n:oa;not-a-date;{}`,
    `ayse.k;n:oa;2024-02-02 10:00;{"broken`,
    `ayse.k;unknown_code;2024-02-02 10:00;{}`,
    `ayse.k;bad_target;2024-02-02 10:00;{}`,
    `stranger;n:oa;2024-02-02 10:00;{}`,
    `ayse.k;survey_response;2024-02-23 13:36:46;{"surveyId":"srv-7","questionId":"q1","answer":"5"}`,
    `ayse.k;survey_response;2024-02-23 13:36:47;{"surveyId":"srv-7","questionId":"q2","answer":"yes"}`,
    `ayse.k;survey_response;2024-02-23 13:36:48;{"surveyId":"srv-7","questionId":"q3","answer":["A","B"]}`,
  ];
  writeFileSync(join(dir, "events", "2024-02.csv"), `${second.join("\n")}\n`);

  writeFileSync(
    join(dir, "push-results", "84512.csv"),
    [
      "platform,status,errorCode,errorMsg,installationId,extId,timeStamp,msgTitle,msgText",
      "ANDROID,CLICKED,,,inst-1,ayse.k,1717395613628,T,X",
      "ANDROID,SUCCESS,,,inst-1,ayse.k,1717394613628,T,X",
      "ANDROID,DELIVERED,,,inst-1,ayse.k,1717394615628,T,X",
      "IOS,FAILED,410,Unregistered,inst-2,mehmet,1717394613000,T,X",
      "IOS,SUCCESS,,,inst-3,,1717394613000,T,X",
    ].join("\n") + "\n",
  );
  writeFileSync(
    join(dir, "push-results", "99999.csv"),
    "platform,status,extId,timeStamp\nIOS,SUCCESS,ayse.k,1717394613000\n",
  );
  writeFileSync(
    join(dir, "push-results", "99998.csv"),
    "platform,status,extId,timeStamp\nIOS,SUCCESS,ayse.k,1717394613000\n",
  );
  writeFileSync(
    join(dir, "campaigns.json"),
    JSON.stringify({
      campaigns: [
        { id: "cmp-501", notificationKey: "84512", name: "Yaz İndirimi", channel: "PUSH" },
        // No name: rejected, so its deliveries say so.
        { id: "cmp-502", notificationKey: "99998", channel: "PUSH" },
      ],
    }),
  );
  writeFileSync(
    join(dir, "surveys.json"),
    JSON.stringify({
      surveys: [
        {
          id: "srv-7",
          name: "Memnuniyet Anketi",
          questions: [
            { id: "q1", title: "Puanınız?" },
            {
              id: "q2",
              text: "Önerir misiniz?",
              options: [
                { label: "Evet", value: "yes" },
                { label: "Hayır", value: "no" },
              ],
            },
            { id: "q3", text: "Kategoriler?" },
          ],
        },
      ],
    }),
  );
}

interface Planned {
  rows: MessageRow[];
  quarantine: QuarantineEntry[];
  flags: FlagEntry[];
  tally: Awaited<ReturnType<typeof planHistoryPhase>>;
}

async function plan(dir: string, profileSurveys?: ProfileSurveys): Promise<Planned> {
  const rows: MessageRow[] = [];
  const quarantine: QuarantineEntry[] = [];
  const flags: FlagEntry[] = [];
  const tally = await planHistoryPhase(
    {
      snapshotDir: dir,
      clock: new ZoneClock("Europe/Istanbul"),
      mapping,
      eventFiles: ["events/2024-02.csv", "events/2024-03.csv"],
      pushResultFiles: [
        "push-results/84512.csv",
        "push-results/99998.csv",
        "push-results/99999.csv",
      ],
      openTable: (file) => openTable(join(dir, file), file, silentLogger),
      contactExtIds: ["ayse.k", "mehmet", "zeynep"],
      profileSurveys,
      workDir: dir,
      logger: silentLogger,
    },
    {
      row: (row) => {
        rows.push(row);
      },
      quarantine: (entry) => {
        quarantine.push(entry);
      },
      flag: (entry) => {
        flags.push(entry);
      },
    },
  );
  return { rows, quarantine, flags, tally };
}

describe("history phase plan", () => {
  let dir: string;
  let planned: Planned;
  const ayse = xmlIdFor("user", "ayse.k");
  const mehmet = xmlIdFor("user", "mehmet");

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "history-plan-"));
    writeSnapshot(dir);
    planned = await plan(dir);
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const rowsOf = (contact: string, subject?: string) =>
    planned.rows.filter(
      (row) =>
        row.values.res_id.xml_id === contact &&
        (subject === undefined || row.values.subject.startsWith(subject)),
    );

  it("consolidates a day above the threshold", () => {
    const notes = rowsOf(ayse, "Sayfa");

    expect(notes).toHaveLength(1);
    expect(notes[0]!.values.subject).toBe("Sayfa × 11 on 2024-03-02, 00:30–23:40");
    expect(notes[0]!.values.date).toBe("2024-03-01 21:30:00");
    expect(notes[0]!.source).toEqual({ file: "events/2024-03.csv", line: 2, rows: 11 });
  });

  it("keeps one note per event at the threshold", () => {
    const notes = rowsOf(mehmet, "Sayfa");

    expect(notes).toHaveLength(10);
    expect(notes.map((row) => row.values.date)).toEqual([
      "2024-03-01 21:30:00",
      "2024-03-01 22:30:00",
      "2024-03-01 23:30:00",
      "2024-03-02 00:30:00",
      "2024-03-02 01:30:00",
      "2024-03-02 02:30:00",
      "2024-03-02 03:30:00",
      "2024-03-02 04:30:00",
      "2024-03-02 05:30:00",
      "2024-03-02 20:40:00",
    ]);
    expect(notes[0]!.values.body).toBe(
      "<p><b>Sayfa (page_view)</b> event at 2024-03-02 00:30 (Europe/Istanbul)</p>" +
        "<ul><li><b>page</b>: /p0</li></ul>",
    );
  });

  it("applies a per-event threshold from the mapping", () => {
    const notes = rowsOf(mehmet, "Arama");

    expect(notes).toHaveLength(1);
    expect(notes[0]!.values.subject).toBe("Arama × 3 on 2024-03-05, 10:00–12:00");
  });

  it("orders rows by time across contacts", () => {
    const dates = planned.rows.map((row) => row.values.date);

    expect(dates).toEqual([...dates].sort());
    const sameInstant = planned.rows.filter((row) => row.values.date === "2024-02-01 06:00:00");
    expect(sameInstant.map((row) => row.values.res_id.xml_id)).toEqual([
      ayse,
      ayse,
      mehmet,
      xmlIdFor("user", "zeynep"),
    ]);
  });

  it("numbers identical events so their IDs differ", () => {
    const opens = rowsOf(ayse, "n:oa");
    const ids = opens.map((row) => row.xml_id);

    expect(opens).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
    expect(ids[1]).toBe(xmlIdFor("message", `event|ayse.k|n:oa|${Date.UTC(2024, 1, 1, 6)}|1`));
  });

  it("writes a done activity with its type", () => {
    const [purchase] = rowsOf(ayse, "Satın Alma");

    expect(purchase!.values.kind).toBe("activity");
    expect(purchase!.values.mail_activity_type_id).toEqual({
      xml_id: xmlIdFor("event", "purchase"),
    });
    expect(purchase!.values.date).toBe("2024-02-10 09:15:00");
    expect(purchase!.values.body).toBe(
      "<p><b>Satın Alma (purchase)</b> done at 2024-02-10 12:15 (Europe/Istanbul)</p>" +
        "<ul><li><b>amount</b>: 120</li></ul>",
    );
  });

  it("groups survey answers into one note", () => {
    const [survey] = rowsOf(ayse, "Memnuniyet");

    expect(survey!.values.date).toBe("2024-02-23 10:36:46");
    expect(survey!.values.body).toBe(
      "<p><b>Memnuniyet Anketi</b> answered at 2024-02-23 13:36 (Europe/Istanbul)</p>" +
        "<p><b>Puanınız?</b></p><ul><li>5</li></ul>" +
        "<p><b>Önerir misiniz?</b></p><ul><li>Evet</li></ul>" +
        "<p><b>Kategoriler?</b></p><ul><li>A</li><li>B</li></ul>",
    );
  });

  it("writes one delivery note per campaign and contact", () => {
    const [delivery] = rowsOf(ayse, "PUSH campaign");

    expect(delivery!.values.subject).toBe('PUSH campaign "Yaz İndirimi": sent, delivered, clicked');
    expect(delivery!.values.date).toBe("2024-06-03 06:03:33");
    expect(delivery!.values.body).toBe(
      '<p><b>PUSH campaign "Yaz İndirimi"</b> (times in Europe/Istanbul)</p><ul>' +
        "<li>sent at 2024-06-03 09:03 on ANDROID</li>" +
        "<li>delivered at 2024-06-03 09:03 on ANDROID</li>" +
        "<li>clicked at 2024-06-03 09:20 on ANDROID</li></ul>",
    );
    const [failed] = rowsOf(mehmet, "PUSH campaign");
    expect(failed!.values.body).toContain(
      "<li>failed at 2024-06-03 09:03 on IOS: Unregistered</li>",
    );
  });

  it("escapes source text in bodies", () => {
    const [search] = rowsOf(mehmet, "Arama");
    const bodies = planned.rows.map((row) => row.values.body).join("\n");

    expect(search!.values.body).not.toContain("<script>");
    expect(bodies).not.toContain("<script>");
  });

  it("never writes push tokens", () => {
    const text = JSON.stringify(planned);

    expect(text).not.toContain("tok-");
    expect(text).not.toContain("pushToken");
    expect(text).not.toContain("inst-");
  });

  it("quarantines bad rows with file, line and column", () => {
    expect(planned.quarantine).toEqual([
      {
        file: "events/2024-02.csv",
        line: 4,
        column: "timestamp",
        value: "not-a-date",
        reason:
          "row rejected: is not a timestamp; expected epoch milliseconds, ISO 8601 (2024-03-02T00:30:00+03:00) " +
          "or dd.MM.yyyy HH:mm:ss",
      },
      {
        file: "events/2024-02.csv",
        line: 5,
        column: "attributes",
        value: '{"broken',
        reason: "row rejected: is not valid JSON; expected an object",
      },
      {
        file: "events/2024-02.csv",
        line: 6,
        column: "eventCode",
        value: "unknown_code",
        reason: "row rejected: has no entry in mapping.json; run map again and confirm it",
      },
      {
        file: "events/2024-02.csv",
        line: 7,
        column: "eventCode",
        value: "bad_target",
        reason:
          'row rejected: is mapped to "tag", which cannot apply to an event; use note, activity or skip',
      },
      {
        file: "push-results/99998.csv",
        line: 2,
        column: "(file name)",
        value: "99998",
        reason:
          "row rejected: its campaign was rejected (campaigns.json line 1; see that quarantine row)",
      },
      {
        file: "push-results/99999.csv",
        line: 2,
        column: "(file name)",
        value: "99999",
        reason: "row rejected: names no campaign in campaigns.json (by id or notificationKey)",
      },
      {
        file: "events/2024-02.csv",
        line: 8,
        column: "externalId",
        value: "stranger",
        reason:
          "row rejected: has no contact in the plan, so its history has no record to attach to",
      },
    ]);
  });

  it("balances read against planned, quarantined and skipped", () => {
    const { tally } = planned;

    // Event rows of both files, then delivery rows.
    expect(tally.read).toBe(29 + 10 + 7);
    expect(tally.planned).toBe(planned.rows.length);
    expect(tally.quarantined).toBe(7);
    expect(tally.read).toBe(tally.planned + tally.quarantined + tally.skipped);
    expect(tally.skipReasons).toEqual({
      "consolidated into a daily count note": 10 + 2,
      "merged into one note per survey answer set": 2,
      "merged into one note per campaign and contact": 2,
      "mapping skips event legacy": 1,
      "no external ID (anonymous installation)": 2,
    });
  });

  it("plans the same rows twice", async () => {
    const again = await plan(dir);

    expect(again.rows).toEqual(planned.rows);
  });

  it("dates profile survey answers at the pull time", async () => {
    const withProfile = await plan(dir, {
      knownAt: Date.UTC(2024, 6, 1, 4, 12),
      answerSets: [
        {
          extId: "zeynep",
          answers: { "Favori renk?": "Mavi", "Haber bülteni?": "Evet" },
          source: { file: "users/export.csv", line: 3 },
        },
      ],
    });
    const notes = withProfile.rows.filter((row) => row.values.subject === PROFILE_SURVEY_TITLE);

    expect(notes).toHaveLength(1);
    expect(notes[0]!.xml_id).toBe(xmlIdFor("message", "profile-survey|zeynep"));
    expect(notes[0]!.values.res_id).toEqual({ xml_id: xmlIdFor("user", "zeynep") });
    expect(notes[0]!.values.date).toBe("2024-07-01 04:12:00");
    expect(notes[0]!.values.body).toBe(
      `<p><b>${PROFILE_SURVEY_TITLE}</b> answered by 2024-07-01 07:12, when the snapshot was ` +
        "pulled (Europe/Istanbul)</p><p><b>Favori renk?</b></p><ul><li>Mavi</li></ul>" +
        "<p><b>Haber bülteni?</b></p><ul><li>Evet</li></ul>",
    );
    expect(notes[0]!.source).toEqual({ file: "users/export.csv", line: 3, rows: 1 });
    expect(withProfile.rows.at(-1)).toEqual(notes[0]);
    expect(withProfile.tally.read).toBe(planned.tally.read + 1);
  });

  it("skips profile answers without a pull time", async () => {
    const undated = await plan(dir, {
      knownAt: undefined,
      answerSets: [{ extId: "zeynep", answers: { Q: "A" }, source: { file: "u.csv", line: 2 } }],
    });

    expect(undated.rows).toEqual(planned.rows);
    expect(
      undated.tally.skipReasons["profile survey answers cannot be dated: no pulledAt in manifest"],
    ).toBe(1);
  });

  it("reads survey-marked attributes of a merged user", () => {
    const marked: Mapping = {
      ...mapping,
      entries: [
        {
          source: { kind: "attribute", name: "favColor", label: "Favori renk?" },
          target: { model: "mail.message", field: null, type: null, action: "note" },
          confidence: 1,
          reason: "test",
          review: false,
          options: { survey: true },
        },
        {
          source: { kind: "column", name: "NPS" },
          target: { model: "mail.message", field: null, type: null, action: "note" },
          confidence: 1,
          reason: "test",
          review: false,
          options: { survey: true },
        },
      ],
    };
    const sourced = (value: string, column: string) => ({
      value,
      file: "users/export.csv",
      line: 4,
      column,
    });
    const user = {
      key: "zeynep",
      extId: "zeynep",
      values: new Map([
        ["email", sourced("z@example.com", "Email")],
        ["attr:favColor", sourced("Mavi", "favColor")],
        ["column:NPS", sourced("9", "NPS")],
      ]),
      source: { file: "users/export.csv", line: 4 },
      userRows: 1,
      conflicts: [],
      segments: [],
      tags: [],
      devices: [],
    };
    const entries = surveyAttributeEntries(marked);

    expect([...entries.keys()]).toEqual(["favColor", "NPS"]);
    expect(profileAnswers(user, entries)).toEqual({
      extId: "zeynep",
      answers: { "Favori renk?": "Mavi", NPS: "9" },
      source: { file: "users/export.csv", line: 4 },
    });
    expect(profileAnswers({ ...user, extId: undefined }, entries)).toBeUndefined();
  });
});

describe("history phase plan from JSON delivery logs", () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "history-json-"));
    mkdirSync(join(dir, "push-results"), { recursive: true });
    writeFileSync(
      join(dir, "campaigns.json"),
      JSON.stringify([{ id: "cmp-9", notificationKey: "777", name: "Kış", channel: "SMS" }]),
    );
    writeFileSync(
      join(dir, "push-results", "777.json"),
      JSON.stringify({
        list: [
          { platform: "SMS", status: "SUCCESS", extId: "mehmet", timeStamp: 1717394613000 },
          { platform: "SMS", status: "FAILED", extId: "ayse.k", timeStamp: "bad", errorMsg: "x" },
        ],
        nextPage: null,
      }),
    );
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads getPushResult pages and quarantines bad times", async () => {
    const rows: MessageRow[] = [];
    const quarantine: QuarantineEntry[] = [];
    const tally = await planHistoryPhase(
      {
        snapshotDir: dir,
        clock: new ZoneClock("Europe/Istanbul"),
        mapping,
        eventFiles: [],
        pushResultFiles: ["push-results/777.json"],
        openTable: (file) => openTable(join(dir, file), file, silentLogger),
        readJsonRecords: (file) => streamJsonRecords(join(dir, file), file),
        contactExtIds: ["ayse.k", "mehmet"],
        workDir: dir,
        logger: silentLogger,
      },
      {
        row: (row) => {
          rows.push(row);
        },
        quarantine: (entry) => {
          quarantine.push(entry);
        },
        flag: () => undefined,
      },
    );

    expect(rows.map((row) => row.values.subject)).toEqual(['SMS campaign "Kış": sent']);
    expect(rows[0]!.values.date).toBe("2024-06-03 06:03:33");
    expect(quarantine).toEqual([
      {
        file: "push-results/777.json",
        line: expect.any(Number),
        column: "timeStamp",
        value: "bad",
        reason:
          "row rejected: is not a timestamp; expected epoch milliseconds, ISO 8601 (2024-03-02T00:30:00+03:00) " +
          "or dd.MM.yyyy HH:mm:ss",
      },
    ]);
    expect(tally).toMatchObject({ read: 2, planned: 1, quarantined: 1, skipped: 0 });
  });
});
