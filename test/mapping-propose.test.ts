import { describe, expect, it } from "vitest";
import {
  assignFieldNames,
  customFieldName,
  isValidCustomFieldName,
  snakeCase,
} from "../bridge/src/mapping/field-names.js";
import { TAGS_MAX_DISTINCT, inferTarget } from "../bridge/src/mapping/infer-type.js";
import type { SnapshotObservations } from "../bridge/src/mapping/observations.js";
import { proposeMapping } from "../bridge/src/mapping/propose.js";
import { ValueStats } from "../bridge/src/mapping/value-stats.js";

const TZ = "Europe/Istanbul";

function stats(values: string[], arrays = false): ValueStats {
  const result = new ValueStats(TZ);
  for (const value of values) {
    result.add(value);
    if (arrays) {
      result.addArray(value);
    }
  }
  return result;
}

function infer(dataType: string | undefined, values: string[], isArray = false) {
  return inferTarget({
    fieldName: "x_netmera_test",
    dataType,
    isArray,
    stats: stats(values, isArray),
    ownerEmails: new Set(["sales@example.com"]),
    companyIds: new Set(["C-1", "C-2"]),
  });
}

describe("field names", () => {
  it("turns camelCase codes into snake_case", () => {
    expect(customFieldName("loyaltyPoints")).toBe("x_netmera_loyalty_points");
    expect(customFieldName("HTTPStatusCode")).toBe("x_netmera_http_status_code");
  });

  it("transliterates Turkish letters and drops punctuation", () => {
    expect(snakeCase("Son Alışveriş Tarihi")).toBe("son_alisveris_tarihi");
    expect(customFieldName("Kaynak-Kampanya (İlk)")).toBe("x_netmera_kaynak_kampanya_ilk");
  });

  it("keeps long names within 63 characters and distinct", () => {
    const a = customFieldName(`averyLongAttributeCode${"Part".repeat(20)}One`);
    const b = customFieldName(`averyLongAttributeCode${"Part".repeat(20)}Two`);
    expect(a.length).toBeLessThanOrEqual(63);
    expect(b.length).toBeLessThanOrEqual(63);
    expect(a).not.toBe(b);
    expect(isValidCustomFieldName(a)).toBe(true);
  });

  it("gives colliding codes different names", () => {
    const names = assignFieldNames(["visitCount", "visit_count"]);
    // "visitCount" sorts first ("C" before "_"), so it keeps the plain name.
    expect(names.get("visitCount")).toBe("x_netmera_visit_count");
    expect(names.get("visit_count")).toMatch(/^x_netmera_visit_count_[0-9a-f]{8}$/);
  });

  it("names a code without letters", () => {
    expect(customFieldName("!!!")).toBe("x_netmera_field");
  });
});

describe("inferTarget types", () => {
  it("proposes char for short strings and text for long ones", () => {
    expect(infer("STRING", ["gold", "silver"]).target.type).toBe("char");
    const long = infer("STRING", ["x".repeat(300)]);
    expect(long.target.type).toBe("text");
    expect(long.reason).toContain("300 characters");
  });

  it("proposes integer for whole numbers and float for decimals", () => {
    expect(infer("INTEGER", ["1", "25000", "-3"]).target.type).toBe("integer");
    expect(infer("NUMBER", ["12.50", "3"]).target.type).toBe("float");
    expect(infer("NUMBER", ["12", "3"]).target.type).toBe("integer");
  });

  it("marks an INTEGER attribute with decimals for review", () => {
    const proposal = infer("INTEGER", ["1", "2.5"]);
    expect(proposal.target.type).toBe("integer");
    expect(proposal.review).toBe(true);
    expect(proposal.confidence).toBeLessThanOrEqual(0.6);
  });

  it("keeps INTEGER and widens LONG beyond 32 bits", () => {
    expect(infer("INTEGER", ["3000000000"]).target.type).toBe("integer");
    expect(infer("LONG", ["3000000000"]).target.type).toBe("float");
  });

  it("proposes date for local-midnight epochs and datetime otherwise", () => {
    // 1990-05-14 00:00 in Istanbul (UTC+3 in summer 1990).
    expect(infer("DATE", ["642632400000", "1990-05-14"]).target.type).toBe("date");
    const withTime = infer("DATE", ["642668400000"]);
    expect(withTime.target.type).toBe("datetime");
    expect(withTime.review).toBe(true);
  });

  it("proposes boolean for BOOLEAN", () => {
    const proposal = infer("BOOLEAN", ["true", "false"]);
    expect(proposal.target.type).toBe("boolean");
    expect(proposal.review).toBe(false);
  });

  it("marks an unknown data type with mixed values for review", () => {
    const proposal = infer("OBJECT", ["12", "yüksek", "7.5"]);
    expect(proposal.target.type).toBe("char");
    expect(proposal.review).toBe(true);
    expect(proposal.confidence).toBeLessThanOrEqual(0.35);
    expect(proposal.reason).toContain("OBJECT");
  });

  it("skips an attribute without values", () => {
    const proposal = infer("STRING", []);
    expect(proposal.target.action).toBe("skip");
  });

  it("links owner e-mails to the salesperson", () => {
    const proposal = infer("STRING", ["Sales@example.com", "sales@example.com"]);
    expect(proposal.target.field).toBe("user_id");
    expect(proposal.review).toBe(true);
  });

  it("links company ids to the parent company", () => {
    expect(infer("STRING", ["C-1", "C-2"]).target.field).toBe("parent_id");
  });

  it("links company ids when a few are unknown", () => {
    expect(infer("STRING", ["C-1", "C-2", "C-9"]).target.field).toBe("parent_id");
    expect(infer("STRING", ["C-1", "X", "Y", "Z"]).target.field).toBe("x_netmera_test");
  });
});

describe("inferTarget arrays", () => {
  it("turns arrays with few distinct items into tags", () => {
    const proposal = infer("STRING", ['["spor","kitap"]', '["kitap"]'], true);
    expect(proposal.target.action).toBe("tag");
    expect(proposal.target.model).toBe("res.partner.category");
    expect(proposal.options?.arrayHandling).toBe("tags");
  });

  it("joins arrays with many distinct items", () => {
    const values = Array.from({ length: TAGS_MAX_DISTINCT + 5 }, (_, i) => `["store ${i}"]`);
    const proposal = infer("STRING", values, true);
    expect(proposal.target.action).toBe("create");
    expect(proposal.target.type).toBe("char");
    expect(proposal.options?.arrayHandling).toBe("joined");
  });
});

function observations(): SnapshotObservations {
  const headerStats = stats(["a", "b"]);
  return {
    timeZone: TZ,
    files: ["users/a.csv", "mystery.bin", "journeys.json"],
    attributes: [
      { code: "email", dataType: "STRING", name: "Email", standard: true },
      { code: "dateOfBirth", dataType: "DATE", name: "Date of Birth", standard: true },
      { code: "loyaltyPoints", dataType: "INTEGER", name: "Puan", standard: false },
    ],
    attributeValues: new Map([["loyaltyPoints", stats(["5", "7"])]]),
    attributeFiles: new Map([["loyaltyPoints", new Set(["users/a.csv"])]]),
    columns: new Map([
      [
        "loyaltyPoints",
        {
          header: "loyaltyPoints",
          meaning: "attr:loyaltyPoints",
          files: new Set(["users/a.csv"]),
          stats: headerStats,
        },
      ],
      [
        "Birth Date",
        {
          header: "Birth Date",
          meaning: "column:Birth Date",
          files: new Set(["users/a.csv"]),
          stats: headerStats,
        },
      ],
      [
        "Mystery",
        {
          header: "Mystery",
          meaning: "column:Mystery",
          files: new Set(["users/a.csv"]),
          stats: headerStats,
        },
      ],
    ]),
    eventDefinitions: [
      { code: "page_view", name: "Page View", attributeCodes: ["page"], standard: false },
    ],
    events: new Map([
      [
        "page_view",
        {
          code: "page_view",
          count: 40,
          files: new Set(["events/1.csv"]),
          maxPerContactDay: 31,
          attributes: new Map(),
        },
      ],
      [
        "odd_event",
        {
          code: "odd_event",
          count: 2,
          files: new Set(["events/1.csv"]),
          maxPerContactDay: 1,
          attributes: new Map(),
        },
      ],
    ]),
    ownerEmails: new Set(),
    companyIds: new Set(),
  };
}

describe("proposeMapping", () => {
  const mapping = proposeMapping(observations(), {
    snapshotHash: "abc",
    proposedAt: "2024-07-01T00:00:00.000Z",
  });
  const entry = (kind: string, name: string) =>
    mapping.entries.find((e) => e.source.kind === kind && e.source.name === name);

  it("maps standard attributes to standard fields", () => {
    expect(entry("attribute", "email")?.target).toEqual({
      model: "res.partner",
      field: "email",
      type: "char",
      action: "existing",
    });
  });

  it("creates x_netmera fields for custom attributes", () => {
    const points = entry("attribute", "loyaltyPoints");
    expect(points?.target.field).toBe("x_netmera_loyalty_points");
    expect(points?.target.type).toBe("integer");
    expect(points?.target.action).toBe("create");
  });

  it("lets an attribute column follow its attribute", () => {
    expect(entry("column", "loyaltyPoints")?.target.field).toBe("x_netmera_loyalty_points");
    expect(entry("column", "loyaltyPoints")?.review).toBe(false);
  });

  it("matches a reworded header to an attribute for review", () => {
    const birth = entry("column", "Birth Date");
    expect(birth?.target.field).toBe("x_netmera_date_of_birth");
    expect(birth?.review).toBe(true);
    expect(birth?.confidence).toBe(0.5);
  });

  it("marks an unknown header for review", () => {
    const mystery = entry("column", "Mystery");
    expect(mystery?.target.field).toBe("x_netmera_mystery");
    expect(mystery?.review).toBe(true);
    expect(mystery?.confidence).toBeLessThanOrEqual(0.3);
  });

  it("mentions consolidation of frequent events", () => {
    expect(entry("event", "page_view")?.reason).toContain("up to 31 a day");
    expect(entry("event", "page_view")?.review).toBe(false);
  });

  it("marks undefined events for review", () => {
    expect(entry("event", "odd_event")?.review).toBe(true);
  });

  it("skips inventory-only and unknown files", () => {
    expect(entry("file", "journeys.json")?.target.action).toBe("skip");
    expect(entry("file", "journeys.json")?.review).toBe(false);
    expect(entry("file", "mystery.bin")?.review).toBe(true);
  });

  it("starts unconfirmed with default settings", () => {
    expect(mapping.confirmation).toBeNull();
    expect(mapping.settings.eventConsolidationThreshold).toBe(10);
  });
});
