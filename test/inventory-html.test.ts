import Handlebars from "handlebars";
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { SnapshotFileError, SnapshotTamperedError } from "../bridge/src/core/errors.js";
import { silentLogger } from "../bridge/src/core/log.js";
import { fullXmlId, xmlIdFor } from "../bridge/src/core/xml-id.js";
import { readPlanQuality } from "../bridge/src/inventory/read-plan.js";
import { readInventorySnapshot } from "../bridge/src/inventory/read-snapshot.js";
import { DEFAULT_TEMPLATE_DIR, renderInventoryHtml } from "../bridge/src/inventory/render-html.js";
import { buildInventoryView, type InventoryView } from "../bridge/src/inventory/view-model.js";
import {
  copySnapshot,
  countOccurrences,
  PLAN_DIR,
  rehashSnapshot,
  sectionHtml,
  SNAPSHOT_DIR,
} from "./fixtures/inventory/support.js";

const escape = (text: string) => Handlebars.escapeExpression(text);
const fixedNow = new Date("2024-07-02T08:00:00Z");

async function renderFixture(): Promise<{ html: string; footer: string; view: InventoryView }> {
  const snapshot = await readInventorySnapshot(SNAPSHOT_DIR, silentLogger);
  const plan = await readPlanQuality(PLAN_DIR);
  const view = buildInventoryView(snapshot, {
    plan,
    now: fixedNow,
    customer: "Anadolu Perakende A.Ş.",
  });
  const rendered = await renderInventoryHtml(view);
  return { ...rendered, view };
}

describe("inventory HTML", () => {
  let html = "";
  let footer = "";

  beforeAll(async () => {
    ({ html, footer } = await renderFixture());
  });

  it("shows app, customer and dates on the cover", () => {
    const cover = html.slice(html.indexOf('<section class="cover">'), html.indexOf("</section>"));
    expect(cover).toContain("Örnek Market");
    expect(cover).toContain(escape("Anadolu Perakende A.Ş."));
    expect(cover).toContain("1 July 2024 at 09:30");
    expect(cover).toContain("2 July 2024 at 11:00");
  });

  it("lists every section in the contents with its counts", () => {
    const contents = html.slice(html.indexOf('<section class="contents">'));
    const summaries = [...contents.matchAll(/<span class="summary">([^<]*)<\/span>/g)].map(
      (match) => match[1],
    );
    expect(summaries).toEqual([
      "3 journeys, 12 steps",
      "4 campaigns, 2 flagged assets",
      "5 segments, 4 dynamic",
      "4 widgets, 2 flagged assets",
      "2 surveys, 5 questions",
      "push tokens, journey logic, widget rendering",
      "4 anonymous, 3 untagged, 5 quarantined",
    ]);
    for (const id of ["journeys", "campaigns", "segments", "widgets", "surveys", "data-quality"]) {
      expect(contents).toContain(`href="#${id}"`);
    }
  });

  it("renders one card per journey, campaign, widget and survey", () => {
    expect(countOccurrences(sectionHtml(html, "journeys"), 'class="card"')).toBe(3);
    expect(countOccurrences(sectionHtml(html, "campaigns"), 'class="card"')).toBe(4);
    expect(countOccurrences(sectionHtml(html, "widgets"), 'class="card"')).toBe(4);
    expect(countOccurrences(sectionHtml(html, "surveys"), 'class="card"')).toBe(2);
  });

  it("escapes widget text instead of rendering it", () => {
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("&lt;b&gt;HTML&lt;/b&gt;");
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain("<b>HTML</b>");
  });

  it("keeps Turkish letters as UTF-8 text", () => {
    expect(html).toContain('<meta charset="utf-8" />');
    expect(html).toContain("Hoş Geldin Yolculuğu");
    expect(html).toContain("İstanbul VIP Müşteriler");
    expect(html).toContain("ığüşöç İĞÜŞÖÇ");
  });

  it("puts page numbers in the footer template", () => {
    expect(footer).toContain('<span class="pageNumber"></span>');
    expect(footer).toContain('<span class="totalPages"></span>');
    expect(footer).toContain("Örnek Market");
  });

  it("explains the journey conversion difference", () => {
    const journeys = sectionHtml(html, "journeys");
    expect(journeys).toContain("Netmera counts one conversion per");
    expect(journeys).toMatch(/Odoo\s+counts each occurrence/);
  });

  it("suggests an automation rule per journey step", () => {
    const journeys = sectionHtml(html, "journeys");
    expect(countOccurrences(journeys, '<td class="number">')).toBe(12);
    expect(journeys).toContain("Send Email (mail_post)");
    expect(journeys).toContain("Send SMS (sms)");
    expect(journeys).toContain("Send Webhook Notification (webhook) to the new push provider");
    expect(journeys).toContain(escape("delay 1 day (trg_date_range=1, trg_date_range_type=day)"));
    expect(journeys).toContain(
      escape("delay 2 hours (trg_date_range=2, trg_date_range_type=hour)"),
    );
    expect(journeys).toContain(
      escape('Tag is added (on_tag_set) on Contact, tag "Sepeti Terk Edenler (son 7 gün)"'),
    );
    expect(journeys).toContain(
      escape('Update Record (object_write): Tags, Adding "dogum-gunu-2024"'),
    );
  });

  it("lists conversion events per journey", () => {
    const journeys = sectionHtml(html, "journeys");
    expect(journeys).toContain('<span class="source-text">CheckoutCompleted</span>');
    expect(journeys).toContain("(window: 3 days)");
    expect(countOccurrences(journeys, "<h3>Conversion events</h3>")).toBe(3);
  });

  it("maps campaign segments to the tags created in Odoo", () => {
    const campaigns = sectionHtml(html, "campaigns");
    const vipTag = fullXmlId(xmlIdFor("segment", "seg-101"));
    expect(campaigns).toContain(vipTag);
    expect(sectionHtml(html, "segments")).toContain(vipTag);
    expect(campaigns).toContain("not in segments.json; no tag created");
    expect(campaigns).toContain(fullXmlId(xmlIdFor("campaign", "cmp-2024-001")));
  });

  it("sums campaign metrics over platforms", () => {
    const campaigns = sectionHtml(html, "campaigns");
    const first = campaigns.slice(
      campaigns.indexOf("<h3>Metrics</h3>"),
      campaigns.indexOf("UTM campaign external ID"),
    );
    const cells = [...first.matchAll(/<td class="number">([^<]*)<\/td>/g)].map((match) => match[1]);
    expect(cells).toEqual(["2,300", "0", "0", "52", "305", "57"]);
    expect(first).toMatch(/<th class="number">Sent<\/th>\s*<th class="number">Delivered<\/th>/);
  });

  it("flags oversize images and videos", () => {
    expect(countOccurrences(sectionHtml(html, "campaigns"), "image over 1 MB")).toBe(1);
    expect(countOccurrences(sectionHtml(html, "campaigns"), "video over 12 MB")).toBe(1);
    expect(countOccurrences(sectionHtml(html, "widgets"), "image over 1 MB")).toBe(1);
    expect(countOccurrences(sectionHtml(html, "widgets"), "video over 12 MB")).toBe(1);
    expect(countOccurrences(html, "within limit")).toBe(3);
    expect(html).toContain("15.0 MB");
    expect(html).toContain("2.0 MB");
  });

  it("lists segments with frozen rules, members and Odoo tag and stage", () => {
    const segments = sectionHtml(html, "segments");
    expect(countOccurrences(segments, "<tr>")).toBe(6);
    expect(countOccurrences(segments, "dynamic, frozen at pull time")).toBe(4);
    expect(segments).toContain("4 dynamic segments: membership frozen at pull time");
    expect(segments).toContain('<td class="number">18,402</td>');
    expect(segments).toContain("not counted by Netmera");
    expect(segments).toContain(escape("city = 'İstanbul' AND totalPurchaseAmount >= 5000 TRY"));
    expect(segments).toContain(fullXmlId(xmlIdFor("stage", "seg-105")));
  });

  it("suggests a rebuild per widget", () => {
    const widgets = sectionHtml(html, "widgets");
    expect(countOccurrences(widgets, "Suggested rebuild: In-app notification")).toBe(2);
    expect(countOccurrences(widgets, "Suggested rebuild: Email template")).toBe(1);
    expect(countOccurrences(widgets, "Suggested rebuild: SMS template")).toBe(1);
    expect(widgets).toContain("ornekmarket://kampanya/yaz");
    expect(widgets).toContain('form of survey "Memnuniyet Anketi"');
  });

  it("lists survey questions, options and display logic", () => {
    const surveys = sectionHtml(html, "surveys");
    expect(countOccurrences(surveys, '<td class="number">')).toBe(5);
    expect(surveys).toContain(escape("show when q1 is 'Kararsızım' or 'Memnun değilim'"));
    expect(surveys).toContain("question: q1, equals: no");
    expect(surveys).toContain('<li class="source-text">Hayır</li>');
    expect(countOccurrences(surveys, "always shown")).toBe(3);
  });

  it("covers push tokens, journey logic and widget rendering", () => {
    const notMigrated = sectionHtml(html, "not-migrated");
    expect(notMigrated).toContain("re-opt-in campaign");
    expect(notMigrated).toContain("silent token refresh");
    expect(notMigrated).toContain("The 3 journeys");
    expect(notMigrated).toContain("The 4 widgets");
  });

  it("reports flags, owners and quarantine from the plan", () => {
    const quality = sectionHtml(html, "data-quality");
    expect(quality).toContain("Anonymous contacts to enrich (4)");
    expect(quality).toContain("Untagged contacts (3)");
    expect(quality).toContain(
      '<td class="source-text">satis@eski-ajans.com.tr</td><td class="number">2</td>',
    );
    expect(quality).toContain(
      '<td class="source-text">destek@example.com.tr</td><td class="number">1</td>',
    );
    expect(quality).toContain("Quarantined rows (5)");
    expect(quality).toMatch(/is not an email address<\/td>\s*<td class="number">2<\/td>/);
    expect(quality).toContain("users/segment-1.csv line 17");
    expect(countOccurrences(quality, '<span class="ok">balanced</span>')).toBe(8);
  });
});

describe("inventory run reconciliation", () => {
  it("checks read = written + quarantined + skipped per phase", async () => {
    const snapshot = await readInventorySnapshot(SNAPSHOT_DIR, silentLogger);
    const plan = await readPlanQuality(PLAN_DIR);
    const run = {
      runId: 7,
      phases: [
        { name: "contacts", created: 100, updated: 10, unchanged: 3, errors: 2, in_odoo: 113 },
        { name: "campaigns", created: 3, updated: 0, unchanged: 0, errors: 0, in_odoo: 3 },
        { name: "extra", created: 1, updated: 0, unchanged: 0, errors: 0, in_odoo: 1 },
      ],
    };
    const view = buildInventoryView(snapshot, { plan, run });
    const { html } = await renderInventoryHtml(view);
    const quality = sectionHtml(html, "data-quality");

    expect(quality).toContain("Run 7 reconciliation");
    expect(view.dataQuality.run?.phases.map((phase) => [phase.name, phase.balanced])).toEqual([
      ["contacts", true],
      ["campaigns", false],
      ["extra", false],
    ]);
    expect(view.dataQuality.run?.phases[0]?.quarantined).toBe("7");
    expect(countOccurrences(quality, "does not add up")).toBe(1);
    expect(quality).toContain("no plan figures");
  });

  it("mentions waiting owners only when some wait", async () => {
    const snapshot = await readInventorySnapshot(SNAPSHOT_DIR, silentLogger);
    const plan = await readPlanQuality(PLAN_DIR);
    const phases = [
      { name: "contacts", created: 100, updated: 10, unchanged: 3, errors: 2, in_odoo: 113 },
    ];
    const quality = async (pendingOwners: number) =>
      sectionHtml(
        (
          await renderInventoryHtml(
            buildInventoryView(snapshot, { plan, run: { runId: 6, phases, pendingOwners } }),
          )
        ).html,
        "data-quality",
      );

    expect(await quality(0)).not.toContain("Owners waiting");
    expect(await quality(2)).toMatch(/owner reconciliation queue[^<]*: 2\. Contact import waits/);
  });

  it("marks a rolled-back run instead of checking it", async () => {
    const snapshot = await readInventorySnapshot(SNAPSHOT_DIR, silentLogger);
    const plan = await readPlanQuality(PLAN_DIR);
    const run = {
      runId: 2,
      rolledBackAt: "2026-12-04 10:15:00",
      phases: [
        { name: "contacts", created: 100, updated: 10, unchanged: 3, errors: 2, in_odoo: 113 },
      ],
    };
    const view = buildInventoryView(snapshot, { plan, run });
    const quality = sectionHtml((await renderInventoryHtml(view)).html, "data-quality");

    expect(quality).toContain("This run was rolled back at 2026-12-04 10:15:00 (UTC)");
    expect(countOccurrences(quality, '<span class="muted">rolled back</span>')).toBe(1);
    expect(quality).not.toContain("does not add up");
    expect(view.dataQuality.run?.phases[0]?.balanced).toBe(false);
  });
});

describe("inventory snapshot input", () => {
  it("marks a section whose file is absent", async () => {
    const dir = copySnapshot();
    rmSync(join(dir, "surveys.json"));

    const snapshot = await readInventorySnapshot(dir, silentLogger);
    const { html } = await renderInventoryHtml(buildInventoryView(snapshot));

    expect(snapshot.surveys).toBeNull();
    expect(sectionHtml(html, "surveys")).toContain("The snapshot has no <code>surveys.json</code>");
    expect(sectionHtml(html, "data-quality")).toContain("No plan directory was given");
  });

  it("names file, line, column and value of every bad field", async () => {
    const dir = copySnapshot();
    const widgets = JSON.parse(readFileSync(join(dir, "widgets.json"), "utf8"));
    widgets[2].assets[0].size = "büyük";
    writeFileSync(join(dir, "widgets.json"), JSON.stringify(widgets, null, 2));
    writeFileSync(join(dir, "journeys.json"), '[\n  {"name": "Kırık",\n  "steps": [}\n]');
    rehashSnapshot(dir);

    const error = await readInventorySnapshot(dir, silentLogger).catch((caught) => caught);

    expect(error).toBeInstanceOf(SnapshotFileError);
    const message = (error as Error).message;
    const widgetText = readFileSync(join(dir, "widgets.json"), "utf8");
    const before = widgetText.slice(0, widgetText.indexOf('"büyük"')).split("\n");
    const column = (before.at(-1)?.length ?? 0) + 1;
    expect(message).toContain(
      `widgets.json line ${before.length}, column ${column} at [2].assets[0].size: "büyük": ` +
        "expected a size in bytes",
    );
    expect(message).toContain('journeys.json line 3, column 13: invalid JSON at "}\\n]"');
  });

  it("rejects a key written twice", async () => {
    const dir = copySnapshot();
    writeFileSync(
      join(dir, "journeys.json"),
      '[\n  {"name": "Hoş geldin", "name": "Geri dön", "steps": []}\n]\n',
    );
    rehashSnapshot(dir);

    const error = await readInventorySnapshot(dir, silentLogger).catch((caught) => caught);

    expect(error).toBeInstanceOf(SnapshotFileError);
    expect((error as Error).message).toMatch(/journeys\.json: .*"name"/);
    expect((error as Error).message).toMatch(/line 2, column \d+/);
  });

  it("reports a field of the wrong type inside a union", async () => {
    const dir = copySnapshot();
    const campaigns = JSON.parse(readFileSync(join(dir, "campaigns.json"), "utf8"));
    campaigns[1].content.subject = { tr: "Konu" };
    writeFileSync(join(dir, "campaigns.json"), JSON.stringify(campaigns, null, 2));
    rehashSnapshot(dir);

    const error = await readInventorySnapshot(dir, silentLogger).catch((caught) => caught);

    expect((error as Error).message).toMatch(
      /campaigns\.json line \d+, column \d+ at \[1\]\.content\.subject: \{"tr":"Konu"\}: Invalid input: expected string, received object/,
    );
  });

  it("rejects a file changed after the pull", async () => {
    const dir = copySnapshot();
    writeFileSync(join(dir, "segments.json"), '{"list": []}');

    const error = await readInventorySnapshot(dir, silentLogger).catch((caught) => caught);

    expect(error).toBeInstanceOf(SnapshotTamperedError);
    expect((error as Error).message).toContain("segments.json does not match its sha256");
  });

  it("rejects a folder without manifest", async () => {
    const error = await readInventorySnapshot(PLAN_DIR, silentLogger).catch((caught) => caught);

    expect((error as Error).message).toContain(`manifest.json: not found in ${PLAN_DIR}`);
  });
});

describe("inventory plan input", () => {
  it("names a missing header column", async () => {
    const dir = copySnapshot();
    writeFileSync(join(dir, "flags.csv"), "xml_id,extid,detail\na,b,c\n");

    const error = await readPlanQuality(dir).catch((caught) => caught);

    expect(error).toBeInstanceOf(SnapshotFileError);
    expect((error as Error).message).toBe(`${join(dir, "flags.csv")}: header is missing flag`);
  });

  it("names the line of a row without flag", async () => {
    const dir = copySnapshot();
    writeFileSync(join(dir, "flags.csv"), "xml_id,extid,flag,detail\na,b,anonymous,c\nd,e,,f\n");

    const error = await readPlanQuality(dir).catch((caught) => caught);

    expect((error as Error).message).toBe(
      `${join(dir, "flags.csv")} line 3, column "flag": "" is empty, but every flag row needs a flag`,
    );
  });
});

describe("inventory templates", () => {
  it("use triple-stash only for the stylesheet", () => {
    const files = [
      "layout.hbs",
      "footer.hbs",
      ...readdirSync(join(DEFAULT_TEMPLATE_DIR, "partials")).map((file) => `partials/${file}`),
    ];
    const tripleStashes = files.flatMap((file) =>
      [
        ...readFileSync(join(DEFAULT_TEMPLATE_DIR, file), "utf8").matchAll(
          /\{\{\{\s*([^}]*)\}\}\}/g,
        ),
      ].map((match) => `${file}: ${match[1]}`),
    );
    expect(tripleStashes).toEqual(["layout.hbs: stylesheet"]);
    expect(existsSync(join(DEFAULT_TEMPLATE_DIR, "inventory.css"))).toBe(true);
  });
});
