import { readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import { beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../bridge/src/core/log.js";
import { collectObservations } from "../bridge/src/mapping/collect.js";
import { proposeMapping } from "../bridge/src/mapping/propose.js";
import type { Mapping } from "../bridge/src/mapping/types.js";
import { openSnapshot } from "../bridge/src/snapshot/snapshot.js";

let mapping: Mapping;

const entry = (kind: string, name: string) => {
  const found = mapping.entries.find((e) => e.source.kind === kind && e.source.name === name);
  if (!found) throw new Error(`no ${kind} entry ${name}`);
  return found;
};

beforeAll(async () => {
  const snapshot = await openSnapshot("samples/small", { logger: silentLogger });
  const observations = await collectObservations(snapshot, silentLogger);
  mapping = proposeMapping(observations, { snapshotHash: snapshot.hash, proposedAt: "now" });
});

describe("mapping of the bundled sample", () => {
  it("has an entry for every attribute, file and event code", () => {
    const kinds = new Map<string, number>();
    for (const e of mapping.entries) kinds.set(e.source.kind, (kinds.get(e.source.kind) ?? 0) + 1);
    expect(kinds.get("attribute")).toBe(22);
    expect(kinds.get("file")).toBe(35);
    expect(kinds.get("event")).toBe(8);
  });

  it("maps the phone to mobile and the country to country_id", () => {
    expect(entry("attribute", "msisdn").target.field).toBe("mobile");
    expect(entry("attribute", "country").target.field).toBe("country_id");
    expect(entry("column", "Phone").target.field).toBe("mobile");
  });

  it("types custom attributes from their values", () => {
    expect(entry("attribute", "loyaltyPoints").target.type).toBe("integer");
    expect(entry("attribute", "lifetimeValue").target.type).toBe("float");
    expect(entry("attribute", "isPremium").target.type).toBe("boolean");
    expect(entry("attribute", "lastPurchaseDate").target.type).toBe("date");
    expect(entry("attribute", "customerNote").target.type).toBe("text");
  });

  it("splits arrays into tags or a joined field", () => {
    expect(entry("attribute", "favoriteCategories").options?.arrayHandling).toBe("tags");
    expect(entry("attribute", "visitedStores").options?.arrayHandling).toBe("joined");
    expect(entry("attribute", "visitedStores").target.field).toBe("x_netmera_visited_stores");
  });

  it("marks the ambiguous sources for review", () => {
    const review = mapping.entries
      .filter((e) => e.review)
      .map((e) => `${e.source.kind}:${e.source.name}`);
    expect(review.sort()).toEqual([
      "attribute:accountManager",
      "attribute:companyId",
      "attribute:legacyScore",
      "column:Birth Date",
      "column:Kaynak Kampanya",
      "event:legacy_checkout",
    ]);
  });

  it("never maps the push token column", () => {
    expect(entry("column", "token").target.action).toBe("skip");
  });

  it("contains no push token", () => {
    const devices = parse(readFileSync("samples/small/devices.csv", "utf8"), { columns: true }) as {
      token: string;
    }[];
    const text = JSON.stringify(mapping);
    expect(devices.length).toBeGreaterThan(100);
    for (const { token } of devices) {
      expect(text.includes(token.slice(0, 24))).toBe(false);
    }
  });

  it("flags page views for consolidation", () => {
    expect(entry("event", "page_view").reason).toMatch(/up to \d+ a day/);
    expect(entry("event", "survey_response").options?.survey).toBe(true);
  });
});
