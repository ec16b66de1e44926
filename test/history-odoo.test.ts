import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { xmlIdFor } from "../bridge/src/core/xml-id.js";
import type { OdooClient } from "../bridge/src/odoo/client.js";
import { clientFor, connectionArgs, printedRunId, runCli, tableRow } from "./migrate-support.js";
import { describeOdoo, startOdoo, type OdooServer } from "./support/odoo.js";

/** Events, campaigns and survey answers of a small snapshot, migrated into a real Odoo 18. */

const run = promisify(execFile);
const PASSWORD = "history-admin-7731";
const TOKEN = "fcmTOKENhistory0123456789abcdef:APA91bHistoryOnlyInTheSnapshot";
const IOS_TOKEN = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";

function writeSnapshot(dir: string): void {
  const write = (file: string, text: string) => {
    mkdirSync(join(dir, file, ".."), { recursive: true });
    writeFileSync(join(dir, file), text);
  };
  write(
    "users/export.csv",
    "External ID;Name;Surname;Email\n" +
      "ayse.k;Ayşe;Kılıç;ayse@example.com.tr\n" +
      "mehmet;Mehmet;Öz;mehmet@example.com.tr\n",
  );
  write(
    "segments.json",
    JSON.stringify({ list: [{ id: 1001, name: "VIP Müşteriler", type: "STANDARD" }] }),
  );
  write("segment-users/1001.csv", "externalId,email\nayse.k,ayse@example.com.tr\n");
  write(
    "devices.csv",
    "platform,extId,installationId,model,appVersion,osVersion,token,pushPermitted\n" +
      `ANDROID,ayse.k,inst-1,SM-G991B,5.4.0,13,${TOKEN},true\n` +
      `IOS,mehmet,inst-2,"iPhone13,2",5.2.0,16.7,${IOS_TOKEN},true\n`,
  );
  write(
    "event-definitions.json",
    JSON.stringify({
      standardEvents: [{ code: "n:oa", name: "Open App", attributes: [] }],
      customEvents: [
        { code: "page_view", name: "Sayfa Görüntüleme", attributes: [{ code: "page" }] },
        { code: "purchase", name: "Satın Alma", attributes: [{ code: "amount" }] },
        { code: "survey_response", name: "Anket Yanıtı", attributes: [] },
      ],
    }),
  );
  const pageViews = Array.from({ length: 12 }, (_, i) => {
    const hour = String(8 + i).padStart(2, "0");
    return `ayse.k,inst-1,page_view,2024-03-02T${hour}:12:00+03:00,"{""page"":""/p${i}""}"`;
  });
  write(
    "events/2024-03.csv",
    [
      "externalId,installationId,eventCode,timestamp,attributes",
      ...pageViews.reverse(),
      `mehmet,inst-2,n:oa,2024-03-02T00:30:00,{}`,
      `ayse.k,inst-1,n:oa,2024-03-01T23:59:00,{}`,
      `ayse.k,inst-1,purchase,2024-03-03T12:15:00+03:00,"{""amount"":120,""token"":""${TOKEN}""}"`,
      `mehmet,inst-2,page_view,2024-03-02T10:00:00+03:00,"{""page"":""<b>kampanya</b>""}"`,
    ].join("\n") + "\n",
  );
  write(
    "events/2024-02.csv",
    [
      "externalId,installationId,eventCode,timestamp,attributes",
      `mehmet,inst-2,survey_response,2024-02-23T13:36:46+03:00,"{""surveyId"":""srv-7"",""questionId"":""q1"",""answer"":""5""}"`,
      `mehmet,inst-2,survey_response,2024-02-23T13:36:47+03:00,"{""surveyId"":""srv-7"",""questionId"":""q2"",""answer"":""Belki""}"`,
    ].join("\n") + "\n",
  );
  write(
    "surveys.json",
    JSON.stringify({
      surveys: [
        {
          id: "srv-7",
          name: "Memnuniyet Anketi",
          questions: [
            { id: "q1", title: "Puanınız?" },
            { id: "q2", title: "Önerir misiniz?" },
          ],
        },
      ],
    }),
  );
  write(
    "campaigns.json",
    JSON.stringify({
      campaigns: [
        {
          id: "cmp-501",
          notificationKey: "84512",
          name: "Yaz İndirimi",
          channel: "PUSH",
          status: "FINISHED",
          title: "Yaz indirimi başladı!",
          content: "Seçili ürünlerde %40'a varan indirim.",
          schedule: { type: "ONE_TIME", startDate: "2024-06-03T09:00:00+03:00" },
          targetSegments: [1001],
          assets: [{ type: "image", url: "https://cdn.example.com/yaz.jpg", sizeBytes: 1450000 }],
          stats: { sent: 2, failed: 0, delivered: 1, opened: 0, clicked: 1 },
        },
      ],
    }),
  );
  write(
    "push-results/84512.csv",
    "platform,status,errorCode,errorMsg,installationId,extId,timeStamp,msgTitle,msgText\n" +
      "ANDROID,SUCCESS,,,inst-1,ayse.k,1717394613628,Yaz,X\n" +
      "ANDROID,DELIVERED,,,inst-1,ayse.k,1717394615628,Yaz,X\n" +
      "ANDROID,CLICKED,,,inst-1,ayse.k,1717395613628,Yaz,X\n",
  );
}

/** Display name of a many2one value as XML-RPC returns it (`[id, name]` or false). */
function label(value: [number, string] | false): string | false {
  return value ? value[1] : false;
}

interface Message {
  id: number;
  date: string;
  subject: string | false;
  body: string;
  message_type: string;
  subtype_id: [number, string] | false;
  author_id: [number, string] | false;
  mail_activity_type_id: [number, string] | false;
  res_id: number;
}

describeOdoo("history into a real Odoo", () => {
  let odoo: OdooServer;
  let client: OdooClient;
  let work: string;
  let snapshot: string;
  let mappingFile: string;
  let planDir: string;
  let runId: number;
  let migrateOutput: string;
  /** Highest mail.message id before the migration; the template database has a few. */
  let lastMessageId: number;
  const env = { ODOO_PASSWORD: PASSWORD };

  const migrateArgs = () => [
    "migrate",
    snapshot,
    "--plan",
    planDir,
    "--mapping",
    mappingFile,
    "--batch-rows",
    "4",
    ...connectionArgs(odoo),
  ];

  async function partnerId(extId: string): Promise<number> {
    const [data] = await client.executeKw<{ res_id: number }[]>(
      "ir.model.data",
      "search_read",
      [
        [
          ["module", "=", "__import__"],
          ["name", "=", xmlIdFor("user", extId)],
        ],
      ],
      { fields: ["res_id"] },
    );
    return data!.res_id;
  }

  async function historyMessages(domain: unknown[] = []): Promise<Message[]> {
    return client.executeKw<Message[]>(
      "mail.message",
      "search_read",
      [
        [
          ["id", ">", lastMessageId],
          ["model", "=", "res.partner"],
          ["message_type", "in", ["comment", "notification"]],
          ...domain,
        ],
      ],
      {
        fields: [
          "date",
          "subject",
          "body",
          "message_type",
          "subtype_id",
          "author_id",
          "mail_activity_type_id",
          "res_id",
        ],
        order: "id",
      },
    );
  }

  beforeAll(async () => {
    odoo = await startOdoo({ addon: true, prefix: "history" });
    const setup = clientFor(odoo);
    await setup.executeKw("res.users", "write", [[2], { password: PASSWORD }]);
    setup.close();
    client = clientFor(odoo, PASSWORD);
    const [last] = await client.executeKw<{ id: number }[]>("mail.message", "search_read", [[]], {
      fields: ["id"],
      order: "id desc",
      limit: 1,
    });
    lastMessageId = last?.id ?? 0;

    work = mkdtempSync(join(tmpdir(), "history-odoo-"));
    snapshot = join(work, "snapshot");
    writeSnapshot(snapshot);
    mappingFile = join(work, "mapping.json");
    planDir = join(work, "plan");
    const proposed = await runCli(["map", snapshot, "--out", work], env);
    expect(proposed.code, proposed.stderr).toBe(0);
    const confirmed = await runCli(
      ["map", snapshot, "--confirm", "--by", "Deniz Aydın", "--mapping", mappingFile],
      env,
    );
    expect(confirmed.code, confirmed.stderr).toBe(0);
    const planned = await runCli(
      ["plan", snapshot, "--mapping", mappingFile, "--out", planDir, "--no-progress"],
      env,
    );
    expect(planned.code, planned.stderr).toBe(0);

    const first = await runCli(migrateArgs(), env);
    const waiting = /run (\d+) \(/.exec(first.stderr);
    expect(waiting, first.stderr).not.toBeNull();
    const authorised = await runCli(
      ["authorise", "--run", waiting![1]!, "--by", "Deniz Aydın", "--agreement", "DPA-1"].concat(
        connectionArgs(odoo),
      ),
      env,
    );
    expect(authorised.code, authorised.stderr).toBe(0);
    const migrated = await runCli(migrateArgs(), env);
    expect(migrated.code, migrated.stderr).toBe(0);
    migrateOutput = migrated.stdout;
    runId = printedRunId(migrated.stdout);
  });

  afterAll(async () => {
    client?.close();
    await odoo?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("reconciles the campaigns and history phases", () => {
    expect(tableRow(migrateOutput, "campaigns")).toMatchObject({
      created: 2,
      quarantined: 0,
      check: "ok",
    });
    expect(tableRow(migrateOutput, "history")).toMatchObject({
      read: 21,
      created: 7,
      quarantined: 0,
      skipped: 14,
      check: "ok",
    });
  });

  it("stores original times in UTC", async () => {
    const mehmet = await partnerId("mehmet");
    const opens = await historyMessages([
      ["res_id", "=", mehmet],
      ["subject", "=", "Open App"],
    ]);

    expect(opens).toHaveLength(1);
    expect(opens[0]!.date).toBe("2024-03-01 21:30:00");
    expect(opens[0]!.message_type).toBe("comment");
    expect(label(opens[0]!.subtype_id)).toBe("Note");
    expect(label(opens[0]!.author_id)).toBe("OdooBot");
  });

  it("creates notes so that ids follow time", async () => {
    const messages = await historyMessages();
    const dates = messages.map((message) => message.date);
    const authors = messages.map((message) => label(message.author_id));

    expect(messages).toHaveLength(7);
    expect(authors).toEqual(Array(7).fill("OdooBot"));
    expect(dates).toEqual([...dates].sort());
    expect(dates).toEqual([
      "2024-02-23 10:36:46",
      "2024-03-01 20:59:00",
      "2024-03-01 21:30:00",
      "2024-03-02 05:12:00",
      "2024-03-02 07:00:00",
      "2024-03-03 09:15:00",
      "2024-06-03 06:03:33",
    ]);
  });

  it("consolidates a busy day into one counted note", async () => {
    const ayse = await partnerId("ayse.k");
    const [note] = await historyMessages([
      ["res_id", "=", ayse],
      ["subject", "like", "Sayfa Görüntüleme ×"],
    ]);

    expect(note!.subject).toBe("Sayfa Görüntüleme × 12 on 2024-03-02, 08:12–19:12");
    expect(note!.date).toBe("2024-03-02 05:12:00");
  });

  it("escapes attribute text in note bodies", async () => {
    const mehmet = await partnerId("mehmet");
    const [note] = await historyMessages([
      ["res_id", "=", mehmet],
      ["subject", "=", "Sayfa Görüntüleme"],
    ]);

    expect(note!.body).toContain("&lt;b&gt;kampanya&lt;/b&gt;");
    expect(note!.body).not.toContain("<b>kampanya</b>");
  });

  it("writes a purchase as a done activity", async () => {
    const [activity] = await historyMessages([["subject", "=", "Satın Alma"]]);

    expect(activity!.message_type).toBe("notification");
    expect(label(activity!.subtype_id)).toBe("Activities");
    expect(label(activity!.mail_activity_type_id)).toBe("Satın Alma");
    expect(activity!.date).toBe("2024-03-03 09:15:00");
  });

  it("writes survey answers with questions as titles", async () => {
    const [survey] = await historyMessages([["subject", "=", "Memnuniyet Anketi"]]);

    expect(survey!.body).toContain("<b>Puanınız?</b>");
    expect(survey!.body).toContain("<li>Belki</li>");
    expect(survey!.date).toBe("2024-02-23 10:36:46");
  });

  it("links the campaign to its segment tag and flags the image", async () => {
    const [campaign] = await client.executeKw<Record<string, unknown>[]>(
      "utm.campaign",
      "search_read",
      [[["netmera_campaign_id", "=", "cmp-501"]]],
      {
        fields: [
          "title",
          "netmera_segment_tag_ids",
          "netmera_medium_id",
          "netmera_scheduled_at",
          "netmera_needs_manual_upload",
        ],
      },
    );
    const [tag] = await client.executeKw<{ id: number; name: string }[]>(
      "res.partner.category",
      "search_read",
      [[["name", "=", "VIP Müşteriler"]]],
      { fields: ["name"] },
    );

    expect(campaign!.title).toBe("Yaz İndirimi");
    expect(campaign!.netmera_segment_tag_ids).toEqual([tag!.id]);
    expect((campaign!.netmera_medium_id as [number, string])[1]).toBe("Push Notification");
    expect(campaign!.netmera_scheduled_at).toBe("2024-06-03 06:00:00");
    expect(campaign!.netmera_needs_manual_upload).toBe(true);
    const flags = readFileSync(join(planDir, "flags.csv"), "utf8");
    expect(flags).toContain("manual_upload");
  });

  it("writes a delivery note with its steps", async () => {
    const [delivery] = await historyMessages([["subject", "like", "PUSH campaign"]]);

    expect(delivery!.subject).toBe('PUSH campaign "Yaz İndirimi": sent, delivered, clicked');
    expect(delivery!.body).toContain("clicked at 2024-06-03 09:20 on ANDROID");
  });

  it("fills device fields and writes no push token anywhere", async () => {
    const ayse = await partnerId("ayse.k");
    const [partner] = await client.executeKw<Record<string, unknown>[]>(
      "res.partner",
      "read",
      [[ayse]],
      { fields: ["netmera_os", "netmera_app_version", "netmera_device_model"] },
    );
    const { stdout } = await run("pg_dump", ["--data-only", odoo.db], {
      maxBuffer: 512 * 1024 * 1024,
    });

    expect(partner!.netmera_device_model).toBe("SM-G991B");
    expect(partner!.netmera_app_version).toBe("5.4.0");
    expect(partner!.netmera_os).toBeTruthy();
    expect(stdout).toContain("Yaz İndirimi");
    expect(stdout).not.toContain(TOKEN);
    expect(stdout).not.toContain(IOS_TOKEN);
    expect(stdout).not.toContain("APA91bHistory");
  });

  it("rolls back every note, activity type and campaign", async () => {
    const rollback = await runCli(
      ["rollback", "--run", String(runId), ...connectionArgs(odoo)],
      env,
    );
    expect(rollback.code, rollback.stderr).toBe(0);

    const left = await client.executeKw<number>("ir.model.data", "search_count", [
      [
        ["module", "=", "__import__"],
        ["name", "=like", "netmera_%"],
      ],
    ]);
    expect(left).toBe(0);
    expect(await client.executeKw<number>("utm.campaign", "search_count", [[]])).toBe(0);
    expect(
      await client.executeKw<number>("mail.activity.type", "search_count", [
        [["name", "=", "Satın Alma"]],
      ]),
    ).toBe(0);
    expect(await historyMessages()).toEqual([]);
  });
});
