import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { readNamedDestinationPages } from "../bridge/src/inventory/pdf-destinations.js";
import { readInventorySnapshot } from "../bridge/src/inventory/read-snapshot.js";
import { renderInventoryHtml } from "../bridge/src/inventory/render-html.js";
import { journeySchema, parseIsoDuration } from "../bridge/src/inventory/schema-journeys.js";
import { widgetSchema } from "../bridge/src/inventory/schema-widgets.js";
import { buildInventoryView } from "../bridge/src/inventory/view-model.js";
import { viewJourney } from "../bridge/src/inventory/view-sections.js";
import { sectionHtml } from "./fixtures/inventory/support.js";

describe("parseIsoDuration", () => {
  it.each([
    ["P2D", 2, "DAY"],
    ["PT6H", 6, "HOUR"],
    ["PT30M", 30, "MINUTE"],
    ["P1M", 1, "MONTH"],
    ["P1Y", 12, "MONTH"],
    ["P2W", 2, "WEEK"],
    ["P1DT12H", 2160, "MINUTE"],
  ])("reads %s", (text, amount, unit) => {
    expect(parseIsoDuration(text)).toEqual({ delayAmount: amount, delayUnit: unit });
  });

  it.each(["P", "PT", "2 days", "P2X", ""])("rejects %j", (text) => {
    expect(parseIsoDuration(text)).toBeNull();
  });
});

describe("journey schema", () => {
  const journey = journeySchema.parse({
    id: "jrn-11",
    name: "Hoş Geldin",
    entryCondition: "event n:oa for the first time",
    conversionEvent: "purchase",
    steps: [
      { type: "send", channel: "PUSH", content: "Merhaba" },
      { type: "wait", duration: "P2D" },
      { type: "condition", rule: "event purchase happened" },
      { type: "send", channel: "EMAIL", content: "Sepetini unutma" },
    ],
    stats: { entered: 5120, converted: 830, conversionCounting: "once per user" },
  });
  const view = viewJourney(journey, new Map(), "Europe/Istanbul");

  it("reads one entry condition and conversion event as text", () => {
    expect(view.entryConditions).toEqual(["event n:oa for the first time"]);
    expect(view.conversionEvents).toEqual(["purchase"]);
    expect(view.entryAutomation.trigger).toBe(
      "On webhook (on_webhook) on Contact, called by the app when the event happens",
    );
  });

  it("describes an ISO wait and a rule condition", () => {
    expect(view.steps.map((step) => step.detail)).toEqual([
      null,
      "2 days (P2D)",
      "event purchase happened",
      null,
    ]);
  });

  it("carries a wait over a condition to the next message", () => {
    expect(view.steps[3]?.automation.trigger).toBe(
      "Based on date field (on_time) on a date field the previous rule sets, delay 2 days " +
        "(trg_date_range=2, trg_date_range_type=day)",
    );
    expect(view.steps[3]?.automation.action).toBe(
      "Send Email (mail_post) with an email template (mail.template) on Contact",
    );
  });

  it("keeps statistics as readable lines", () => {
    expect(view.stats).toEqual([
      "entered: 5,120",
      "converted: 830",
      "conversionCounting: once per user",
    ]);
  });
});

describe("widget schema", () => {
  it("splits editor elements into text, buttons, media and form fields", () => {
    const widget = widgetSchema.parse({
      id: "wdg-31",
      name: "Bülten",
      type: "form",
      trigger: "page_view page = '/kampanyalar'",
      elements: [
        { type: "text", text: "Bültenimize katılın." },
        { type: "input", field: "email", label: "E-posta" },
        { type: "button", text: "Kaydol", action: "submit" },
        { type: "video", url: "https://cdn.example.com/v.mp4", sizeBytes: 13000000 },
      ],
    });

    expect(widget.type).toBe("FORM");
    expect(widget.content.text).toBe("Bültenimize katılın.");
    expect(widget.triggers).toEqual(["page_view page = '/kampanyalar'"]);
    expect(widget.clickActions).toEqual([{ label: "Kaydol", type: "submit", value: null }]);
    expect(widget.formFields).toEqual(["E-posta (input, saved to email)"]);
    expect(widget.assets).toEqual([
      {
        name: "https://cdn.example.com/v.mp4",
        url: "https://cdn.example.com/v.mp4",
        declaredType: "VIDEO",
        sizeBytes: 13000000,
      },
    ]);
  });
});

const SAMPLE_DIR = resolve(import.meta.dirname, "../samples/small");
const describeSample = existsSync(join(SAMPLE_DIR, "manifest.json")) ? describe : describe.skip;

describeSample("inventory of samples/small", () => {
  it("renders every definition of the sample snapshot", async () => {
    const count = (file: string, key: string) =>
      (JSON.parse(readFileSync(join(SAMPLE_DIR, file), "utf8")) as Record<string, unknown[]>)[key]
        ?.length;

    const snapshot = await readInventorySnapshot(SAMPLE_DIR, silentLogger);
    const { html } = await renderInventoryHtml(buildInventoryView(snapshot));

    expect(snapshot.journeys).toHaveLength(count("journeys.json", "journeys") ?? -1);
    expect(snapshot.widgets).toHaveLength(count("widgets.json", "widgets") ?? -1);
    expect(snapshot.surveys).toHaveLength(count("surveys.json", "surveys") ?? -1);
    expect(snapshot.campaigns).toHaveLength(count("campaigns.json", "campaigns") ?? -1);
    expect(snapshot.segments).toHaveLength(count("segments.json", "list") ?? -1);
    expect(html).not.toMatch(/<script/i);
    expect(sectionHtml(html, "widgets")).toContain("&lt;script&gt;");
  });
});

describe("readNamedDestinationPages", () => {
  it("numbers pages through a nested page tree", () => {
    const pdf = Buffer.from(
      [
        "%PDF-1.4",
        "1 0 obj\n<</Type /Catalog\n/Pages 2 0 R\n/Dests 9 0 R>>\nendobj",
        "2 0 obj\n<</Type /Pages\n/Count 3\n/Kids [3 0 R 4 0 R]>>\nendobj",
        "3 0 obj\n<</Type /Pages\n/Count 2\n/Kids [5 0 R 6 0 R]>>\nendobj",
        "4 0 obj\n<</Type /Pages\n/Count 1\n/Kids [7 0 R]>>\nendobj",
        "5 0 obj\n<</Type /Page\n/Parent 3 0 R>>\nendobj",
        "6 0 obj\n<</Type /Page\n/Parent 3 0 R>>\nendobj",
        "7 0 obj\n<</Type /Page\n/Parent 4 0 R>>\nendobj",
        "8 0 obj\n<</Length 12>>\nstream\n<</Dests>>\nendstream\nendobj",
        "9 0 obj\n<</journeys [6 0 R /XYZ 0 842 0]\n/data-quality [7 0 R /XYZ 0 842 0]>>\nendobj",
      ].join("\n"),
      "latin1",
    );

    expect(readNamedDestinationPages(pdf)).toEqual(
      new Map([
        ["journeys", 2],
        ["data-quality", 3],
      ]),
    );
  });

  it("returns null without a Dests dictionary", () => {
    const pdf = Buffer.from("%PDF-1.4\n1 0 obj\n<</Type /Catalog\n/Pages 2 0 R>>\nendobj\n");

    expect(readNamedDestinationPages(pdf)).toBeNull();
  });
});
