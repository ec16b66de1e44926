/**
 * Stopping `migrate` through its abort signal, as `serve` does on shutdown: no new batch after
 * the signal, the batches in flight finish, the run is not marked failed, and a second migrate
 * resumes after the committed batches. The Odoo side is the fake XML-RPC server of the client
 * unit tests, because only the scheduling is under test here.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { MigrationStoppedError } from "../bridge/src/core/errors.js";
import { silentLogger } from "../bridge/src/core/log.js";
import { migrate, type MigrateRequest } from "../bridge/src/migrate/migrate.js";
import { readPlanManifest } from "../bridge/src/migrate/plan-files.js";
import { STATE_FILE } from "../bridge/src/migrate/state.js";
import { copyFixturePlan } from "./migrate-support.js";
import {
  defaultReply,
  startFakeOdoo,
  type FakeCall,
  type FakeOdoo,
  type FakeReply,
} from "./support/fake-odoo.js";

const RUN_ID = 41;
const BATCH_DELAY_MS = 40;

let fake: FakeOdoo | undefined;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

interface Batch {
  phase: string;
  no: number;
  rows: number;
  attempt: number;
}

/**
 * An Odoo that keeps committed batches per phase, as the addon's checkpoints do. `onBatch` is
 * called as each import_batch arrives, before its (delayed) response.
 */
async function startOdoo(planDir: string, onBatch: (batch: Batch) => void) {
  const manifest = readPlanManifest(planDir);
  const committed: Batch[] = [];
  const state = { attempt: 0, failed: 0, done: 0, started: 0, answered: 0 };
  const reply = async (call: FakeCall): Promise<FakeReply> => {
    const known = defaultReply(call);
    if (known) return known;
    const args = call.args ?? [];
    switch (call.kwMethod) {
      case "search_read": {
        if (call.model === "ir.module.module") return { result: [{ state: "installed" }] };
        // No contact of an earlier run: migrate's list of contacts missing from the plan is empty.
        if (call.model === "netmera.migration.binding") return { result: [] };
        const domain = (args[0] ?? []) as unknown[][];
        const phase = domain.find((term) => term[0] === "phase")?.[2];
        return {
          result: committed
            .filter((batch) => batch.phase === phase)
            .map((batch) => ({
              created_count: batch.rows,
              updated_count: 0,
              unchanged_count: 0,
              error_count: 0,
            })),
        };
      }
      case "check_access_rights":
        return { result: true };
      case "addon_version":
        return { result: "18.0.1.1.0" };
      case "read":
        return {
          result: [
            {
              id: RUN_ID,
              name: "Fake run",
              state: state.attempt > 0 ? "running" : "authorised",
              snapshot_hash: manifest.snapshotHash,
              mapping_hash: manifest.mappingHash,
              is_sample: false,
              sample_size: 0,
              gdpr_confirmed_at: "2026-12-01 10:00:00",
              gdpr_agreement_ref: "DPA-1",
            },
          ],
        };
      case "get_committed_batches":
        return {
          result: committed.filter((batch) => batch.phase === args[1]).map((batch) => batch.no),
        };
      case "import_batch": {
        const batch = {
          phase: String(args[1]),
          no: Number(args[2]),
          rows: (args[3] as unknown[]).length,
          attempt: state.attempt,
        };
        state.started += 1;
        onBatch(batch);
        await new Promise((resolve) => setTimeout(resolve, BATCH_DELAY_MS));
        committed.push(batch);
        state.answered += 1;
        return {
          result: {
            batch_no: batch.no,
            replayed: false,
            created: batch.rows,
            updated: 0,
            unchanged: 0,
            errors: [],
          },
        };
      }
      case "rematch_owners":
        return { result: { matched: 0, pending: [] } };
      case "search_count":
        // Owner queue entries: the owners phase queues one per row.
        return {
          result: committed
            .filter((batch) => batch.phase === "owners")
            .reduce((sum, batch) => sum + batch.rows, 0),
        };
      case "pending_owner_count":
        return { result: 0 };
      case "heartbeat":
        return { result: { state: "running" } };
      case "action_fail":
        state.failed += 1;
        return { result: true };
      case "action_done":
        state.done += 1;
        return { result: true };
      default:
        return { result: true };
    }
  };
  fake = await startFakeOdoo(reply);
  return { fake, committed, state };
}

function request(planDir: string, url: string, signal?: AbortSignal): MigrateRequest {
  return {
    planDir,
    connection: { url, db: "crm", login: "admin", password: "admin" },
    runId: RUN_ID,
    concurrency: 2,
    limits: { maxRows: 1 },
    logger: silentLogger,
    progressStream: new PassThrough(),
    retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
    signal,
  };
}

describe("migrate with an abort signal", () => {
  it("stops between batches, keeps the checkpoint and resumes after it", async () => {
    const planDir = copyFixturePlan();
    const totalRows = readPlanManifest(planDir).phases.reduce((sum, phase) => sum + phase.rows, 0);
    const controller = new AbortController();
    let inFlightAtAbort = -1;
    const odoo = await startOdoo(planDir, () => {
      if (odoo.state.started === 5 && !controller.signal.aborted) {
        inFlightAtAbort = odoo.state.started - odoo.state.answered;
        controller.abort();
      }
    });

    const stopped = await migrate(request(planDir, odoo.fake.url, controller.signal)).then(
      () => null,
      (error: unknown) => error,
    );
    expect(stopped).toBeInstanceOf(MigrationStoppedError);
    expect((stopped as Error).message).toMatch(
      /^migration of run 41 stopped on request in phase \w+, after the batches in flight committed; run it again to resume from Odoo's checkpoint$/,
    );
    // No batch started after the abort, and every batch that started got its response.
    expect(inFlightAtAbort).toBeGreaterThanOrEqual(1);
    expect(inFlightAtAbort).toBeLessThanOrEqual(2);
    expect(odoo.state.started).toBe(5);
    expect(odoo.state.answered).toBe(5);
    expect(odoo.committed).toHaveLength(5);
    // The run is not failed; it stays running, and the batch limits are kept for the resume.
    expect(odoo.state.failed).toBe(0);
    expect(odoo.state.done).toBe(0);
    const stateFile = JSON.parse(readFileSync(join(planDir, STATE_FILE), "utf8"));
    expect(Object.values(stateFile.runs)).toEqual([
      { batch: expect.objectContaining({ maxRows: 1 }), startedAt: expect.any(String) },
    ]);

    odoo.state.attempt = 1;
    const firstAttempt = odoo.committed.map((batch) => `${batch.phase}:${batch.no}`);
    const result = await migrate(request(planDir, odoo.fake.url));
    expect(result.runId).toBe(RUN_ID);
    expect(result.balanced, result.table).toBe(true);
    const secondAttempt = odoo.committed
      .filter((batch) => batch.attempt === 1)
      .map((batch) => `${batch.phase}:${batch.no}`);
    // The resume sends only what the first attempt did not commit, and together they cover all.
    expect(secondAttempt.filter((key) => firstAttempt.includes(key))).toEqual([]);
    expect(firstAttempt.length + secondAttempt.length).toBe(totalRows);
    expect(new Set([...firstAttempt, ...secondAttempt]).size).toBe(totalRows);
    expect(odoo.state.failed).toBe(0);
  });

  it("starts no batch when the signal is aborted before the import", async () => {
    const planDir = copyFixturePlan();
    const odoo = await startOdoo(planDir, () => {});
    const controller = new AbortController();
    controller.abort();
    await expect(migrate(request(planDir, odoo.fake.url, controller.signal))).rejects.toThrow(
      /^migration of run 41 stopped on request in phase schema/,
    );
    expect(odoo.state.started).toBe(0);
    expect(odoo.state.failed).toBe(0);
    expect(existsSync(join(planDir, STATE_FILE))).toBe(true);
  });
});
