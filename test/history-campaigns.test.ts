import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { xmlIdFor } from "../bridge/src/core/xml-id.js";
import { readCampaigns } from "../bridge/src/history/campaign-source.js";
import { planCampaignsPhase } from "../bridge/src/history/campaigns-phase.js";
import type { FlagEntry, QuarantineEntry } from "../bridge/src/history/phase-io.js";
import { ZoneClock } from "../bridge/src/history/time-zone.js";
import type { CampaignsPhaseRow } from "../bridge/src/history/types.js";
import type { Mapping } from "../bridge/src/mapping/types.js";

const mapping: Mapping = {
  version: 1,
  snapshotHash: "test",
  proposedAt: "2024-07-01T00:00:00Z",
  settings: { eventConsolidationThreshold: 10, arraySeparator: ";" },
  confirmation: null,
  entries: [
    {
      source: { kind: "event", name: "purchase", label: "Satın Alma" },
      target: { model: "mail.message", field: null, type: null, action: "activity" },
      confidence: 1,
      reason: "test",
      review: false,
    },
  ],
};

/** One campaign in the panel layout (content object, per-platform stats), one in the pull's. */
const campaigns = [
  {
    id: "cmp-2024-001",
    notificationKey: "4471200391",
    name: "Yaz İndirimi %30",
    channel: "PUSH",
    status: "FINISHED",
    content: { title: "Yaz indirimi başladı!", text: "Tüm ürünlerde %30'a varan indirim." },
    schedule: { type: "ONE_TIME", sendAt: "2024-06-15T09:00:00+03:00" },
    segments: ["seg-101", "seg-999"],
    stats: [
      { platform: "IOS", sent: 800, failed: 12, clicked: 95 },
      { platform: "ANDROID", sent: 1500, failed: 40, clicked: 210 },
    ],
    conversions: 57,
    assets: [{ name: "yaz-banner.jpg", type: "image", url: "https://cdn/y.jpg", size: 2097152 }],
  },
  {
    id: "cmp-502",
    notificationKey: "84530",
    name: "Haftalık Bülten #23",
    channel: "EMAIL",
    title: "Bu hafta sizin için",
    content: "<h1>Merhaba</h1>",
    schedule: {
      type: "RECURRING",
      startDate: "2024-05-06T10:00:00",
      endDate: "2024-06-24T10:00:00+03:00",
      recurrence: "every Monday",
    },
    targetSegments: [1004],
    stats: { sent: 79, failed: 5, delivered: 63, opened: 32, clicked: 7 },
    assets: [
      { type: "video", url: "https://cdn/k.mp4", sizeBytes: 14200000 },
      { type: "image", url: "https://cdn/ok.jpg", sizeBytes: 999999 },
    ],
  },
  { id: "cmp-503", name: "", channel: "SMS", stats: { sent: -1 } },
];

describe("campaigns phase plan", () => {
  let dir: string;
  let rows: CampaignsPhaseRow[];
  let flags: FlagEntry[];
  let quarantine: QuarantineEntry[];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "history-campaigns-"));
    writeFileSync(join(dir, "campaigns.json"), JSON.stringify(campaigns));
    rows = [];
    flags = [];
    quarantine = [];
    const tally = await planCampaignsPhase(
      {
        snapshotDir: dir,
        clock: new ZoneClock("Europe/Istanbul"),
        mapping,
        segmentIds: new Set(["seg-101", "1004"]),
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
    expect(tally).toEqual({ read: 4, planned: 3, quarantined: 1, skipped: 0, skipReasons: {} });
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("plans activity types before campaigns", () => {
    expect(rows[0]).toEqual({
      xml_id: xmlIdFor("event", "purchase"),
      values: { kind: "activity_type", name: "Satın Alma", res_model: "res.partner" },
      hash: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
  });

  it("reads the panel layout with per-platform stats", () => {
    const row = rows[1]!;

    expect(row.xml_id).toBe(xmlIdFor("campaign", "cmp-2024-001"));
    expect(row.values).toEqual({
      kind: "campaign",
      title: "Yaz İndirimi %30",
      netmera_campaign_id: "cmp-2024-001",
      netmera_notification_key: "4471200391",
      netmera_channel: "PUSH",
      netmera_medium_id: { utm_medium: "Push Notification" },
      netmera_status: "FINISHED",
      netmera_content: "Title: Yaz indirimi başladı!\n\nTüm ürünlerde %30'a varan indirim.",
      netmera_scheduled_at: "2024-06-15 06:00:00",
      netmera_schedule: "ONE_TIME at 2024-06-15 09:00 (Europe/Istanbul)",
      netmera_sent: 2300,
      netmera_failed: 52,
      netmera_delivered: 0,
      netmera_opened: 0,
      netmera_clicked: 305,
      netmera_conversions: 57,
      netmera_segment_tag_ids: { xml_ids: [xmlIdFor("segment", "seg-101")] },
      netmera_manual_upload:
        "image yaz-banner.jpg (https://cdn/y.jpg) is 2.1 MB, over the 1 MB limit: upload it by hand",
    });
    expect(row.source).toEqual({ file: "campaigns.json", line: 1 });
  });

  it("reads the pull layout and local schedule times", () => {
    const row = rows[2]!;

    expect(row.values.kind).toBe("campaign");
    if (row.values.kind !== "campaign") return;
    expect(row.values.netmera_medium_id).toEqual({ utm_medium: "Email" });
    expect(row.values.netmera_content).toBe("Title: Bu hafta sizin için\n\n<h1>Merhaba</h1>");
    expect(row.values.netmera_scheduled_at).toBe("2024-05-06 07:00:00");
    expect(row.values.netmera_schedule).toBe(
      "RECURRING from 2024-05-06 10:00 to 2024-06-24 10:00, every Monday (Europe/Istanbul)",
    );
    expect(row.values.netmera_opened).toBe(32);
    expect(row.values.netmera_segment_tag_ids).toEqual({ xml_ids: [xmlIdFor("segment", "1004")] });
  });

  it("flags oversized media and unknown segments", () => {
    expect(flags).toEqual([
      {
        xml_id: xmlIdFor("campaign", "cmp-2024-001"),
        extid: "cmp-2024-001",
        flag: "unknown_segment",
        detail:
          'campaign "Yaz İndirimi %30" targets segment seg-999, which is not in segments.json',
      },
      {
        xml_id: xmlIdFor("campaign", "cmp-2024-001"),
        extid: "cmp-2024-001",
        flag: "manual_upload",
        detail:
          "image yaz-banner.jpg (https://cdn/y.jpg) is 2.1 MB, over the 1 MB limit: upload it by hand",
      },
      {
        xml_id: xmlIdFor("campaign", "cmp-502"),
        extid: "cmp-502",
        flag: "manual_upload",
        detail: "video https://cdn/k.mp4 is 14.2 MB, over the 12 MB limit: upload it by hand",
      },
    ]);
  });

  it("quarantines an invalid campaign with its path", () => {
    expect(quarantine).toEqual([
      {
        file: "campaigns.json",
        line: 1,
        column: "[2].stats.sent",
        value: "-1",
        reason:
          "value dropped: a statistic must be a whole number of 0 or more; the campaign is planned without it",
      },
      {
        file: "campaigns.json",
        line: 1,
        column: "[2].name",
        value: '""',
        reason: "row rejected: name is invalid: Too small: expected string to have >=1 characters",
      },
    ]);
  });
});

describe("reading campaigns.json", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "campaign-source-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("drops a bad statistic, not the campaign", async () => {
    const list = {
      campaigns: [
        { id: "cmp-501", name: "Kış", stats: { sent: "many", clicked: 4 }, conversions: "x" },
        { name: "No id", notificationKey: 84512 },
      ],
    };
    writeFileSync(join(dir, "campaigns.json"), JSON.stringify(list, null, 2));
    const { campaigns, issues, rejected } = await readCampaigns(dir);

    expect(campaigns.map((campaign) => [campaign.id, campaign.stats.clicked])).toEqual([
      ["cmp-501", 4],
    ]);
    expect(issues.map(({ index, path, line, value }) => [index, path, line, value])).toEqual([
      [0, "conversions", 10, '"x"'],
      [0, "stats.sent", 7, '"many"'],
      [1, "id", 12, ""],
    ]);
    expect(issues[2]?.reason).toBe("row rejected: id is missing");
    expect([...rejected]).toEqual([["84512", 12]]);
  });

  it("names the type of a value of the wrong kind", async () => {
    const list = [{ id: "c1", name: "Yaz", content: 42 }];
    writeFileSync(join(dir, "campaigns.json"), JSON.stringify(list, null, 2));
    const { issues } = await readCampaigns(dir);

    expect(issues).toEqual([
      {
        index: 0,
        path: "content",
        line: 5,
        value: "42",
        reason: "row rejected: content has an unexpected type (number)",
      },
    ]);
  });
});
