/**
 * Benchmark of `netmera-odoo migrate` against two ways of writing the same contacts into Odoo:
 * `res.partner.load()` (what Odoo's CSV importer calls) and one `create` call per record.
 *
 *   npx tsx scripts/bench-migrate.ts [--contacts 100000] [--single 2000] [--load-chunk 2000]
 *
 * Each method gets its own fresh database copy on a real Odoo 18 with the addon and 2 worker
 * processes. The rows are the same synthetic contacts (name, email, phone, city, country, OS,
 * extId, one to three tags). One-call-per-record is timed on `--single` records and the rate
 * extrapolated to `--contacts`; the output says so.
 */
import { mkdtempSync } from "node:fs";
import { cpus, totalmem, tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { parseArgs } from "node:util";
import { main } from "../bridge/src/cli.js";
import { xmlIdFor } from "../bridge/src/core/xml-id.js";
import { silentLogger } from "../bridge/src/core/log.js";
import { OdooClient } from "../bridge/src/odoo/client.js";
import {
  SYNTHETIC_TAGS,
  syntheticContact,
  writeSyntheticPlan,
} from "../test/fixtures/migrate/synthetic-plan.js";
import { startOdoo, type OdooServer } from "../test/support/odoo.js";

const { values: args } = parseArgs({
  options: {
    contacts: { type: "string", default: "100000" },
    single: { type: "string", default: "2000" },
    "load-chunk": { type: "string", default: "2000" },
    concurrency: { type: "string", default: "3" },
  },
});
const CONTACTS = Number(args.contacts);
const SINGLE = Number(args.single);
const LOAD_CHUNK = Number(args["load-chunk"]);

/** The context the addon writes with; `load` and `create` get the same, for a fair comparison. */
const IMPORT_CONTEXT = {
  tracking_disable: true,
  mail_create_nolog: true,
  mail_create_nosubscribe: true,
  mail_notrack: true,
};

function client(odoo: OdooServer): OdooClient {
  return new OdooClient({
    url: odoo.url,
    db: odoo.db,
    login: odoo.login,
    password: odoo.password,
    logger: silentLogger,
  });
}

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const code = await main(["node", "netmera-odoo", ...argv], {
    stdout,
    stderr,
    env: { ODOO_PASSWORD: "admin" },
    logger: silentLogger,
  });
  return { code, stdout: out, stderr: err };
}

async function withOdoo<T>(work: (odoo: OdooServer) => Promise<T>): Promise<T> {
  const odoo = await startOdoo({ addon: true, workers: 2, prefix: "migrate" });
  try {
    return await work(odoo);
  } finally {
    await odoo.stop();
  }
}

async function benchMigrate(planDir: string): Promise<number> {
  return withOdoo(async (odoo) => {
    const connection = ["--odoo-url", odoo.url, "--db", odoo.db, "--user", odoo.login];
    const migrateArgs = [
      "migrate",
      join(planDir, "snapshot"),
      "--plan",
      planDir,
      "--mapping",
      join(planDir, "mapping.json"),
      "--concurrency",
      args.concurrency!,
      ...connection,
    ];
    const first = await cli(migrateArgs);
    const runId = /run (\d+) \(/.exec(first.stderr)?.[1];
    if (!runId) throw new Error(`no run created: ${first.stderr}`);
    await cli([
      "authorise",
      "--run",
      runId,
      "--by",
      "bench",
      "--agreement",
      "bench",
      ...connection,
    ]);

    const started = performance.now();
    const result = await cli(migrateArgs);
    const seconds = (performance.now() - started) / 1000;
    if (result.code !== 0) throw new Error(`migrate failed: ${result.stderr}`);
    process.stderr.write(result.stdout);
    return seconds;
  });
}

/** Tags with the same external IDs as the plan's, so `category_id/id` columns resolve. */
async function createTags(odoo: OdooClient): Promise<void> {
  await odoo.executeKw("res.partner.category", "load", [
    ["id", "name"],
    SYNTHETIC_TAGS.map((tag) => [`__import__.${xmlIdFor("tag", tag)}`, `Etiket ${tag}`]),
  ]);
}

async function benchLoad(): Promise<number> {
  return withOdoo(async (odoo) => {
    const rpc = client(odoo);
    await createTags(rpc);
    const fields = [
      "id",
      "name",
      "email",
      "phone",
      "city",
      "country_id/id",
      "category_id/id",
      "netmera_os",
      "netmera_external_id",
    ];
    const started = performance.now();
    for (let start = 0; start < CONTACTS; start += LOAD_CHUNK) {
      const rows: string[][] = [];
      for (let index = start; index < Math.min(CONTACTS, start + LOAD_CHUNK); index += 1) {
        const { extId, values } = syntheticContact(index);
        const tags = (values.category_id as { xml_ids: string[] }).xml_ids;
        rows.push([
          `__import__.${xmlIdFor("user", extId)}`,
          String(values.name),
          String(values.email),
          String(values.phone),
          String(values.city),
          "base.tr",
          tags.map((tag) => `__import__.${tag}`).join(","),
          String(values.netmera_os),
          extId,
        ]);
      }

      const result = await rpc.executeKw<{ ids: number[] | false; messages: unknown[] }>(
        "res.partner",
        "load",
        [fields, rows],
        { context: IMPORT_CONTEXT },
      );
      if (!result.ids || result.ids.length !== rows.length) {
        throw new Error(`load failed: ${JSON.stringify(result.messages).slice(0, 500)}`);
      }
    }

    const seconds = (performance.now() - started) / 1000;
    rpc.close();
    return seconds;
  });
}

async function benchSingleCreates(): Promise<number> {
  return withOdoo(async (odoo) => {
    const rpc = client(odoo);
    await createTags(rpc);
    const tagIds = new Map<string, number>();
    for (const tag of SYNTHETIC_TAGS) {
      const [data] = await rpc.executeKw<{ res_id: number }[]>(
        "ir.model.data",
        "search_read",
        [
          [
            ["module", "=", "__import__"],
            ["name", "=", xmlIdFor("tag", tag)],
          ],
        ],
        { fields: ["res_id"] },
      );
      tagIds.set(xmlIdFor("tag", tag), data!.res_id);
    }
    const [turkey] = await rpc.executeKw<number[]>("res.country", "search", [
      [["code", "=", "TR"]],
    ]);

    const started = performance.now();
    for (let index = 0; index < SINGLE; index += 1) {
      const { extId, values } = syntheticContact(index);
      const tags = (values.category_id as { xml_ids: string[] }).xml_ids.map((id) =>
        tagIds.get(id)!,
      );
      await rpc.executeKw(
        "res.partner",
        "create",
        [
          {
            name: values.name,
            email: values.email,
            phone: values.phone,
            city: values.city,
            country_id: turkey,
            category_id: [[6, 0, tags]],
            netmera_os: values.netmera_os,
            netmera_external_id: extId,
          },
        ],
        { context: IMPORT_CONTEXT },
      );
    }

    const seconds = (performance.now() - started) / 1000;
    rpc.close();
    return seconds;
  });
}

const planDir = await writeSyntheticPlan(mkdtempSync(join(tmpdir(), "bench-migrate-")), {
  contacts: CONTACTS,
});
const migrateSeconds = await benchMigrate(planDir);
const loadSeconds = await benchLoad();
const singleSeconds = await benchSingleCreates();

const migrateRate = CONTACTS / migrateSeconds;
const loadRate = CONTACTS / loadSeconds;
const singleRate = SINGLE / singleSeconds;
const line = (name: string, rows: string, seconds: string, rate: number) =>
  `| ${name} | ${rows} | ${seconds} | ${Math.round(rate)} |`;
process.stdout.write(
  [
    `machine: ${cpus().length} cores (${cpus()[0]?.model}), ${Math.round(totalmem() / 2 ** 30)} GiB; ` +
      `Odoo 18 with --workers=2, PostgreSQL 15 on the same machine`,
    "",
    "| method | contacts | seconds | contacts/s |",
    "|---|---|---|---|",
    line("netmera-odoo migrate", String(CONTACTS), migrateSeconds.toFixed(1), migrateRate),
    line(
      `res.partner.load(), ${LOAD_CHUNK} rows per call`,
      String(CONTACTS),
      loadSeconds.toFixed(1),
      loadRate,
    ),
    line(
      "one create call per record",
      `${SINGLE} timed, ${CONTACTS} extrapolated`,
      `${singleSeconds.toFixed(1)} (≈ ${(CONTACTS / singleRate).toFixed(0)} for all)`,
      singleRate,
    ),
    "",
    `migrate / load: ${(migrateRate / loadRate).toFixed(2)}×; ` +
      `migrate / one call per record: ${(migrateRate / singleRate).toFixed(1)}×`,
    "",
  ].join("\n"),
);
