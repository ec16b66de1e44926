import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ConfigError, SnapshotTamperedError } from "../core/errors.js";
import { DEFAULT_SOURCE_TIME_ZONE } from "../normalize/dates.js";
import { writeCoverage, type CoverageSummary } from "./coverage.js";
import { checkExportsDir, copyExports, readSegmentRules } from "./exports.js";
import { DEFAULT_BASE_URL, NetmeraClient } from "./http-client.js";
import { pullInstallations } from "./installations.js";
import { PullJournal, STATE_DIR, UserSource } from "./journal.js";
import { PullProgress } from "./progress.js";
import { runStep, type PullContext } from "./pull-context.js";
import {
  DEFAULT_APP,
  defaultSince,
  MAX_IDS_PER_REQUEST,
  type FrozenOptions,
  type PullOptions,
} from "./pull-options.js";
import { pullPush } from "./push.js";
import { pullSegments } from "./segments.js";
import {
  listSnapshotFiles,
  MANIFEST,
  MANIFEST_PENDING,
  sha256File,
  SnapshotWriter,
} from "./snapshot-files.js";
import { pullUsers } from "./users.js";

export interface PullResult {
  manifest: {
    app: string;
    pulledAt: string;
    sourceTimeZone: string;
    files: Record<string, string>;
  };
  coverage: CoverageSummary | null;
  resumed: boolean;
  requests: number;
  retries: number;
}

/**
 * Pull everything the REST API offers into `options.out`, copy the export files beside it and
 * write manifest.json last. An interrupted pull started again with the same folder continues
 * from its journal.
 */
export async function runPull(options: PullOptions): Promise<PullResult> {
  const out = resolve(options.out);
  const finished = await finishPendingManifest(out);
  if (finished) {
    return { manifest: finished, coverage: null, resumed: true, requests: 0, retries: 0 };
  }

  if (options.exportsDir !== undefined) {
    await checkExportsDir(resolve(options.exportsDir), out);
  }

  const existed = existsSync(out);
  const resumed = await checkTarget(out);
  const journal = PullJournal.open(out);
  const progress = new PullProgress(options.progress, options.progressIntervalMs);
  try {
    const frozen = freezeOptions(journal, options, resumed);
    const client = new NetmeraClient({
      baseUrl: frozen.baseUrl,
      apiKey: options.apiKey,
      logger: options.logger,
      requestsPerSecond: options.requestsPerSecond,
      timeoutMs: options.timeoutMs,
      backoff: options.backoff,
      random: options.random,
      events: { onAttempt: () => progress.countRequest(), onRetry: () => progress.countRetry() },
    });
    const writer = new SnapshotWriter(out, join(out, STATE_DIR, "tmp"));
    const context: PullContext = {
      client,
      journal,
      writer,
      frozen,
      options,
      progress,
      logger: options.logger,
    };
    if (resumed) {
      options.progress.write(`pull: resuming the interrupted pull in ${out}\n`);
    }

    progress.start();
    const coverage = await pullAll(context);
    progress.stop();
    journal.close();
    const manifest = await writeManifest(out, frozen, options);
    return { manifest, coverage, resumed, ...progress.totals };
  } catch (error) {
    progress.stop();
    const nothingDone = !resumed && journal.isOpen && !journal.isDone(FIRST_STEP);
    if (journal.isOpen) {
      journal.close();
    }
    if (nothingDone) {
      await removeUnstartedPull(out, existed);
    }

    throw error;
  }
}

/** The first step, whose API call checks the key before any personal data is copied. */
const FIRST_STEP = "profile-attributes";

/**
 * Remove what a new pull created when its first API call failed (a wrong key, a wrong base URL,
 * Netmera down): the journal and the folder itself if the pull made it. No data was fetched
 * yet, so there is nothing to resume, and a wrong key must not leave copied exports behind.
 */
async function removeUnstartedPull(out: string, existed: boolean): Promise<void> {
  if (!existed) {
    await rm(out, { recursive: true, force: true });
    return;
  }

  // checkTarget accepted this folder only while it was empty apart from the pull's state.
  for (const name of await readdir(out)) {
    await rm(join(out, name), { recursive: true, force: true });
  }
}

async function pullAll(context: PullContext): Promise<CoverageSummary> {
  const { journal, frozen } = context;

  // First, so that a wrong API key stops the pull before the export files (personal data) are
  // copied into the snapshot.
  await runStep(context, FIRST_STEP, "profile attribute definitions", async () => {
    const response = await context.client.request({
      method: "GET",
      url: "/rest/3.0/app/profile-attributes",
    });
    await context.writer.writeJson("profile-attributes.json", response.body);
    return "profile-attributes.json written";
  });

  await runStep(context, "exports", "export files", async () => {
    if (frozen.exportsDir === null) {
      return "none given";
    }

    const summaries = await copyExports(frozen.exportsDir, context.writer, context.logger, journal);
    journal.setMeta("exportFiles", JSON.stringify(summaries));
    const users = journal.countUsers(UserSource.exports);
    return `copied, ${summaries.length} user files with ${users} distinct extIds`;
  });

  await runStep(context, "event-definitions", "event definitions", async () => {
    const response = await context.client.request({ method: "GET", url: "/rest/3.0/app/events" });
    await context.writer.writeJson("event-definitions.json", response.body);
    return "event-definitions.json written";
  });

  await pullSegments(context, await readSegmentRules(frozen.exportsDir ?? undefined));
  await pullInstallations(context);
  await pullPush(context);
  await pullUsers(context);

  context.progress.beginStep("coverage");
  const coverage = await writeCoverage(context);
  context.progress.endStep(
    `${coverage.usersInSegments} of ${coverage.totalUsers} users (${coverage.percentInSegments}%) are in an exported segment; ${coverage.usersInNoSegment} in none (see coverage.json)`,
  );
  return coverage;
}

/**
 * Return whether the folder contains an interrupted pull. A folder with a manifest is a
 * finished snapshot and is never written again. Any other non-empty folder without a journal
 * belongs to someone else.
 */
async function checkTarget(out: string): Promise<boolean> {
  if (existsSync(join(out, MANIFEST))) {
    throw new ConfigError(
      `${out} already contains a finished snapshot (manifest.json); snapshots are never modified, so pull into a new folder`,
    );
  }

  if (existsSync(join(out, STATE_DIR, "journal.sqlite"))) {
    return true;
  }

  await mkdir(out, { recursive: true });
  const entries = (await readdir(out)).filter((name) => name !== STATE_DIR);
  if (entries.length > 0) {
    throw new ConfigError(
      `${out} is not empty and contains no interrupted pull; pull into a new or empty folder`,
    );
  }

  return false;
}

/**
 * Fix the options that shape the snapshot on the first run. A resumed pull takes them from the
 * journal and rejects a conflicting value given on the command line.
 */
function freezeOptions(
  journal: PullJournal,
  options: PullOptions,
  resumed: boolean,
): FrozenOptions {
  const stored = journal.getMeta("options");
  if (resumed && stored !== undefined) {
    const frozen = JSON.parse(stored) as FrozenOptions;
    const given: Partial<Record<keyof FrozenOptions, unknown>> = {
      baseUrl: options.baseUrl,
      app: options.app,
      sourceTimeZone: options.sourceTimeZone,
      exportsDir: options.exportsDir === undefined ? undefined : resolve(options.exportsDir),
      since: options.since?.toISOString(),
      until: options.until?.toISOString(),
      pageSize: options.pageSize,
      inbox: options.inbox,
    };
    for (const [name, value] of Object.entries(given)) {
      const kept = frozen[name as keyof FrozenOptions];
      if (value !== undefined && value !== kept) {
        throw new ConfigError(
          `the interrupted pull in ${options.out} used ${name} ${JSON.stringify(kept)}, not ${JSON.stringify(value)}; resume with the same options or pull into a new folder`,
        );
      }
    }

    return frozen;
  }

  const now = options.now?.() ?? new Date();
  const until = options.until ?? now;
  const since = options.since ?? defaultSince(until);
  const pageSize = options.pageSize ?? MAX_IDS_PER_REQUEST;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_IDS_PER_REQUEST) {
    throw new ConfigError(
      `page size ${pageSize} is invalid; use a whole number from 1 to ${MAX_IDS_PER_REQUEST}`,
    );
  }

  if (since.getTime() > until.getTime()) {
    throw new ConfigError(`--since ${since.toISOString()} is after --until ${until.toISOString()}`);
  }

  const frozen: FrozenOptions = {
    baseUrl: options.baseUrl ?? DEFAULT_BASE_URL,
    app: options.app ?? DEFAULT_APP,
    sourceTimeZone: options.sourceTimeZone ?? DEFAULT_SOURCE_TIME_ZONE,
    exportsDir: options.exportsDir === undefined ? null : resolve(options.exportsDir),
    since: since.toISOString(),
    until: until.toISOString(),
    pageSize,
    inbox: options.inbox ?? false,
    startedAt: now.toISOString(),
  };
  journal.setMeta("options", JSON.stringify(frozen));
  return frozen;
}

/**
 * Hash every file, write the manifest under a temporary name, drop the journal, then rename the
 * manifest into place: the manifest appears last and only over a complete snapshot.
 */
async function writeManifest(
  out: string,
  frozen: FrozenOptions,
  options: PullOptions,
): Promise<PullResult["manifest"]> {
  const files: Record<string, string> = {};
  for (const path of await listSnapshotFiles(out)) {
    files[path] = await sha256File(join(out, path));
  }

  const manifest = {
    app: frozen.app,
    pulledAt: (options.now?.() ?? new Date()).toISOString(),
    sourceTimeZone: frozen.sourceTimeZone,
    files,
  };
  await writeFile(join(out, MANIFEST_PENDING), `${JSON.stringify(manifest, null, 2)}\n`);
  await rm(join(out, STATE_DIR), { recursive: true, force: true });
  await rename(join(out, MANIFEST_PENDING), join(out, MANIFEST));
  return manifest;
}

/**
 * Complete a pull that was killed after its journal was removed but before the manifest was
 * renamed into place, once the files are checked against the pending manifest.
 */
async function finishPendingManifest(out: string): Promise<PullResult["manifest"] | undefined> {
  const pending = join(out, MANIFEST_PENDING);
  if (!existsSync(pending) || existsSync(join(out, MANIFEST))) {
    return undefined;
  }

  if (existsSync(join(out, STATE_DIR))) {
    await rm(pending);
    return undefined;
  }

  const manifest = JSON.parse(await readFile(pending, "utf8")) as PullResult["manifest"];
  const actual = await listSnapshotFiles(out);
  const expected = Object.keys(manifest.files).sort();
  const same =
    actual.length === expected.length && actual.every((path, index) => path === expected[index]);
  for (const path of same ? actual : []) {
    if ((await sha256File(join(out, path))) !== manifest.files[path]) {
      throw new SnapshotTamperedError(
        `${out}/${path} changed after the pull wrote it; pull again into a new folder`,
      );
    }
  }

  if (!same) {
    throw new SnapshotTamperedError(
      `${out} does not hold the files its pending manifest lists; pull again into a new folder`,
    );
  }

  await rename(pending, join(out, MANIFEST));
  return manifest;
}
