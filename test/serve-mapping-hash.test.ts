/**
 * The addon's Confirm Mapping button and the bridge must compute the same mapping hash, or a
 * mapping confirmed in Odoo fails the bridge's check. This suite hashes the same mapping.json
 * texts with `computeMappingHash` and with the addon's Python function, imported from the
 * addon inside the Odoo source tree.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  computeMappingHash,
  mappingEntrySchema,
  mappingOptionsSchema,
  mappingSchema,
  mappingSettingsSchema,
  mappingSourceSchema,
  mappingTargetSchema,
} from "../bridge/src/mapping/types.js";
import { ODOO_PYTHON, ODOO_SRC, odooAvailable, REPO_ROOT } from "./support/odoo.js";

const PYTHON_HASHER = `
import json, sys
import odoo.addons
odoo.addons.__path__.append(${JSON.stringify(join(REPO_ROOT, "odoo_addon"))})
from odoo.addons.netmera_migration.models import netmera_migration_run as run
given = json.load(sys.stdin)
print(json.dumps({
    "hashes": [run.mapping_content_hash(json.loads(text)) for text in given["mappings"]],
    "canonical": [run.canonical_json(json.loads(text)) for text in given["values"]],
    "entryKeys": run.MAPPING_ENTRY_KEYS,
    "settingsDefaults": run.MAPPING_SETTINGS_DEFAULTS,
}))
`;

interface PythonAnswer {
  hashes: string[];
  canonical: string[];
  entryKeys: Record<string, string[] | null>;
  settingsDefaults: Record<string, unknown>;
}

function runPython(input: { mappings?: string[]; values?: string[] }): PythonAnswer {
  const output = execFileSync(ODOO_PYTHON, ["-c", PYTHON_HASHER], {
    input: JSON.stringify({ mappings: input.mappings ?? [], values: input.values ?? [] }),
    env: {
      ...process.env,
      PYTHONPATH: [process.env.ODOO_STUBS ?? "/opt/odoo/stubs", ODOO_SRC].join(":"),
    },
    encoding: "utf8",
  });
  return JSON.parse(output) as PythonAnswer;
}

function pythonHashes(mappings: string[]): PythonAnswer {
  return runPython({ mappings });
}

function bridgeHash(text: string): string {
  return computeMappingHash(mappingSchema.parse(JSON.parse(text)));
}

function fieldPart(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, "_");
}

function entry(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    source: { kind: "attribute", name, dataType: "STRING", label: `${name} etiketi` },
    // Field names are ASCII, as Odoo's are; the other texts keep the Turkish letters.
    target: {
      model: "res.partner",
      field: `x_netmera_${fieldPart(name)}`,
      type: "char",
      action: "create",
    },
    confidence: 0.9,
    reason: "özel alan",
    review: false,
    ...extra,
  };
}

function mapping(entries: unknown[], settings: Record<string, unknown> = {}): string {
  return JSON.stringify({
    version: 1,
    snapshotHash: "a".repeat(64),
    proposedAt: "2026-12-01T10:00:00.000Z",
    settings: { eventConsolidationThreshold: 10, arraySeparator: ";", ...settings },
    entries,
    confirmation: null,
  });
}

/** A reproducible pseudo-random source, so that a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function randomText(next: () => number): string {
  const pool = ["a", "Z", "ğ", "ş", "İ", "ı", "Ö", "ç", '"', "\\", "\n", "\t", "\u0001", "😀", " "];
  return Array.from(
    { length: 1 + Math.floor(next() * 12) },
    () => pool[Math.floor(next() * pool.length)],
  ).join("");
}

const CASES: Array<[string, string]> = [
  [
    "Turkish letters in names, labels and reasons",
    mapping([
      entry("şehir", { reason: "İl bilgisi; ĞÜŞİÖÇ ğüşıöç" }),
      entry("doğum_tarihi", {
        target: { model: "res.partner", field: "x_netmera_dogum", type: "date", action: "create" },
      }),
    ]),
  ],
  [
    "nested options, selections and files",
    mapping([
      entry("segment", {
        source: { kind: "column", name: "Segment", files: ["users/a.csv", "users/ç.csv"] },
        target: {
          model: "res.partner",
          field: "x_netmera_segment",
          type: "selection",
          action: "create",
          selection: [
            ["gold", "Altın"],
            ["silver", "Gümüş"],
          ],
        },
        options: { arrayHandling: "joined", survey: true, consolidationThreshold: 7 },
      }),
    ]),
  ],
  [
    "numbers that JSON writers format differently",
    mapping(
      [
        entry("a", { confidence: 0.1 }),
        entry("b", { confidence: 0.30000000000000004 }),
        entry("c", { confidence: 1e-7 }),
        entry("d", { confidence: 0.000001 }),
        entry("e", { confidence: 1 / 3 }),
        entry("f", { confidence: 5e-324 }),
        entry("g", { confidence: 1, options: { consolidationThreshold: 2 ** 53 - 1 } }),
        entry("h", { confidence: 0, options: { consolidationThreshold: 1e15 } }),
      ],
      { eventConsolidationThreshold: 123_456_789_012 },
    ),
  ],
  [
    "numbers written with a fraction of zero and an exponent",
    mapping([entry("a")])
      .replace('"eventConsolidationThreshold":10', '"eventConsolidationThreshold":25.0')
      .replace('"confidence":0.9', '"confidence":9E-1'),
  ],
  [
    "escapes, an emoji and a lone surrogate",
    mapping([
      entry("x", { reason: 'tırnak " ters \\ satır\nsekme\t\u0001\u007f\u2028 😀' }),
    ]).replace("etiketi", "etiketi \\ud800 \\udc00x"),
  ],
  [
    "keys the schema does not know, at every level",
    mapping(
      [
        {
          ...entry("a"),
          note: "dropped",
          source: { kind: "column", name: "A", extra: 1 },
          target: { model: "res.partner", field: null, type: null, action: "skip", why: "x" },
          options: { survey: false, colour: "red" },
        },
      ],
      { unknownSetting: true },
    ),
  ],
  [
    "missing settings, filled with defaults",
    mapping([entry("a")]).replace(/"settings":\{[^}]*\}/, '"settings":{}'),
  ],
  ["no entries", mapping([])],
];

const KEY_ORDER_A = mapping([entry("ülke", { options: { survey: true, arrayHandling: "tags" } })]);
const KEY_ORDER_B = JSON.stringify({
  confirmation: null,
  entries: [
    {
      review: false,
      reason: "özel alan",
      options: { arrayHandling: "tags", survey: true },
      confidence: 0.9,
      target: { action: "create", type: "char", field: "x_netmera_ulke", model: "res.partner" },
      source: { label: "ülke etiketi", dataType: "STRING", name: "ülke", kind: "attribute" },
    },
  ],
  settings: { arraySeparator: ";", eventConsolidationThreshold: 10 },
  proposedAt: "2026-12-02T00:00:00.000Z",
  snapshotHash: "b".repeat(64),
  version: 1,
});

function randomMappings(count: number): string[] {
  const next = random(20_261_204);
  return Array.from({ length: count }, () => {
    const entries = Array.from({ length: 1 + Math.floor(next() * 4) }, () =>
      entry(randomText(next), {
        confidence: next(),
        reason: randomText(next),
        review: next() < 0.5,
        options: { consolidationThreshold: 1 + Math.floor(next() * 2 ** (next() * 52)) },
      }),
    );
    return mapping(entries, {
      eventConsolidationThreshold: 1 + Math.floor(next() * 10 ** (next() * 15)),
      arraySeparator: randomText(next),
    });
  });
}

/** JSON texts whose canonical form must match byte for byte, beyond what a mapping holds. */
const VALUES = [
  "[0.1, 1e21, 1e20, 123e-20, 1e-7, 1e-6, -0, 0.30000000000000004, 5e-324]",
  "[1.7976931348623157e308, 9007199254740993, 25.0, 1E+2, -1.5e-10, 100, 4.35, 1e300]",
  "[123456789012345680000, 0.000001234, 1.5e-7, -1e21, 2e-6, 12345.6789e3]",
  '{"b": 1, "10": 2, "2": 3, "a": [true, false, null], "B": {"é": "ş", "e": "s"}}',
  '{"😀": 1, "｡": 2, "z": 3, "ı": 4, "İ": 5, "4294967295": 6, "4294967294": 7, "01": 8}',
  '["tırnak \\" ters \\\\ \\n \\t \\u0001 \\u007f \\u2028 \\ud800 😀", {}, [], ""]',
];

function randomNumbers(count: number): string[] {
  const next = random(4_242);
  return Array.from({ length: count }, () => {
    const numbers = Array.from({ length: 20 }, () => (next() - 0.5) * 10 ** (next() * 60 - 30));
    return JSON.stringify(numbers);
  });
}

describe.skipIf(!odooAvailable)("mapping hash of the addon and the bridge", () => {
  it("is the same for every case", () => {
    const texts = CASES.map(([, text]) => text);
    const answer = pythonHashes(texts);
    const expected = texts.map(bridgeHash);
    for (const [index, [label]] of CASES.entries()) {
      expect(answer.hashes[index], label).toBe(expected[index]);
    }
    expect(expected.every((hash) => /^[0-9a-f]{64}$/.test(hash))).toBe(true);
    // Unknown keys are dropped and missing settings filled in, on both sides alike.
    expect(new Set(expected).size).toBe(expected.length);
  });

  it("ignores key order, the proposal, the snapshot and the confirmation", () => {
    const answer = pythonHashes([KEY_ORDER_A, KEY_ORDER_B]);
    expect(bridgeHash(KEY_ORDER_A)).toBe(bridgeHash(KEY_ORDER_B));
    expect(answer.hashes).toEqual([bridgeHash(KEY_ORDER_A), bridgeHash(KEY_ORDER_A)]);
  });

  it("is the same for 200 random mappings", () => {
    const texts = randomMappings(200);
    expect(pythonHashes(texts).hashes).toEqual(texts.map(bridgeHash));
  });

  it("writes the same canonical JSON for numbers, key orders and escapes", () => {
    const texts = [...VALUES, ...randomNumbers(50)];
    const answer = runPython({ values: texts });
    expect(answer.canonical).toEqual(texts.map((text) => canonicalJson(JSON.parse(text))));
    expect(answer.canonical[0]).toBe(
      "[0.1,1e+21,100000000000000000000,1.23e-18,1e-7,0.000001,0,0.30000000000000004,5e-324]",
    );
    // JavaScript lists index keys first, then the rest by UTF-16 code units ("😀" before "｡").
    expect(answer.canonical[4]).toBe(
      '{"4294967294":7,"01":8,"4294967295":6,"z":3,"İ":5,"ı":4,"😀":1,"｡":2}',
    );
  });

  it("keeps the keys and defaults of the bridge's schema", () => {
    const answer = pythonHashes([]);
    const keys = (shape: object) => Object.keys(shape).sort();
    expect(Object.keys(answer.entryKeys).sort()).toEqual(keys(mappingEntrySchema.shape));
    expect(answer.entryKeys.source!.sort()).toEqual(keys(mappingSourceSchema.shape));
    expect(answer.entryKeys.target!.sort()).toEqual(keys(mappingTargetSchema.shape));
    expect(answer.entryKeys.options!.sort()).toEqual(keys(mappingOptionsSchema.shape));
    expect(answer.settingsDefaults).toEqual(mappingSettingsSchema.parse({}));
  });
});
