import { InvalidArgumentError, type Command } from "commander";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { BridgeError, ConfigError } from "../core/errors.js";
import { STATE_DIR } from "../netmera/journal.js";
import { DEFAULT_BASE_URL } from "../netmera/http-client.js";
import { DEFAULT_APP, MAX_IDS_PER_REQUEST } from "../netmera/pull-options.js";
import { runPull } from "../netmera/pull.js";
import { DEFAULT_SOURCE_TIME_ZONE, isValidTimeZone } from "../normalize/dates.js";
import type { CliContext } from "./context.js";

interface PullFlags {
  out: string;
  exports?: string;
  baseUrl?: string;
  app?: string;
  sourceTimeZone?: string;
  since?: Date;
  until?: Date;
  rate: number;
  concurrency: number;
  timeout: number;
  maxAttempts: number;
  pageSize?: number;
  inbox?: boolean;
}

export function registerPull(program: Command, context: CliContext): void {
  program
    .command("pull")
    .description(
      "freeze the Netmera REST data and the export files into a snapshot folder (API key from NETMERA_API_KEY)",
    )
    .requiredOption("--out <dir>", "snapshot folder to create, or an interrupted pull to resume")
    .option("--exports <dir>", "folder of panel/FTP export files to copy into the snapshot")
    .option("--base-url <url>", `Netmera REST API base URL (default ${DEFAULT_BASE_URL})`, parseUrl)
    .option("--app <name>", `application name recorded in the manifest (default "${DEFAULT_APP}")`)
    .option(
      "--source-time-zone <tz>",
      `IANA time zone of the Netmera panel (default ${DEFAULT_SOURCE_TIME_ZONE})`,
      parseTimeZone,
    )
    .option(
      "--since <iso>",
      "start of the push statistics window (default: 12 months before --until)",
      parseDate,
    )
    .option("--until <iso>", "end of the push statistics window (default: now)", parseDate)
    .option("--rate <n>", "maximum requests per second", parsePositive, 5)
    .option("--concurrency <n>", "per-user requests in flight at once", parseCount, 4)
    .option("--timeout <ms>", "time limit of one request in milliseconds", parseCount, 30_000)
    .option("--max-attempts <n>", "attempts per request before giving up", parseCount, 5)
    .option(
      "--page-size <n>",
      `items per page for paged lists, at most ${MAX_IDS_PER_REQUEST} (default ${MAX_IDS_PER_REQUEST})`,
      parsePageSize,
    )
    .option("--inbox", "also read every user's inbox messages (one more request per user)")
    .action(async (flags: PullFlags) => {
      const apiKey = context.env.NETMERA_API_KEY;
      if (!apiKey || apiKey.trim() === "") {
        throw new ConfigError(
          "NETMERA_API_KEY is not set; export the REST API key from Panel → Developers → API",
        );
      }

      const result = await runPull({
        out: flags.out,
        exportsDir: flags.exports,
        apiKey: apiKey.trim(),
        baseUrl: flags.baseUrl,
        app: flags.app,
        sourceTimeZone: flags.sourceTimeZone,
        since: flags.since,
        until: flags.until,
        pageSize: flags.pageSize,
        inbox: flags.inbox,
        requestsPerSecond: flags.rate,
        concurrency: flags.concurrency,
        timeoutMs: flags.timeout,
        backoff: { maxAttempts: flags.maxAttempts, baseDelayMs: 1000, maxDelayMs: 60_000 },
        logger: context.logger,
        progress: context.stderr,
      }).catch((error: unknown) => {
        throw withResumeAdvice(error, flags.out);
      });

      const files = Object.keys(result.manifest.files).length;
      context.stdout.write(`snapshot ${flags.out}: ${files} files, manifest written\n`);
      if (result.coverage) {
        const coverage = result.coverage;
        context.stdout.write(
          `coverage: ${coverage.usersInSegments} of ${coverage.totalUsers} users (${coverage.percentInSegments}%) are in an exported segment, ${coverage.usersInNoSegment} in none, ${coverage.segmentsNotExported} segments not exportable (see coverage.json)\n`,
        );
      }

      context.stdout.write(`requests: ${result.requests}, retries: ${result.retries}\n`);
    });
}

/**
 * Add to a failed pull's error that running the command again resumes it, when the pull got as
 * far as its journal. Errors before that (a bad option, a folder in use) are left as they are.
 */
function withResumeAdvice(error: unknown, out: string): unknown {
  if (!(error instanceof BridgeError) || error instanceof ConfigError) {
    return error;
  }
  if (!existsSync(join(out, STATE_DIR, "journal.sqlite"))) {
    return error;
  }
  return new BridgeError(
    `${error.message}\nthe pull stopped before it finished; what it fetched is kept in ` +
      `${join(out, STATE_DIR)}, and the same command, run again once the cause is fixed, resumes it`,
    { cause: error },
  );
}

function parseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(`${JSON.stringify(value)} is not a URL.`);
  }

  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new InvalidArgumentError(`${JSON.stringify(value)} is not an http(s) URL.`);
  }

  return value.replace(/\/+$/, "");
}

function parseDate(value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
    throw new InvalidArgumentError(`${JSON.stringify(value)} is not an ISO 8601 date or time.`);
  }

  return date;
}

function parseTimeZone(value: string): string {
  if (!isValidTimeZone(value)) {
    throw new InvalidArgumentError(`${JSON.stringify(value)} is not an IANA time zone name.`);
  }

  return value;
}

function parsePositive(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) {
    throw new InvalidArgumentError(`${JSON.stringify(value)} is not a positive number.`);
  }

  return number;
}

function parseCount(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) {
    throw new InvalidArgumentError(`${JSON.stringify(value)} is not a whole number of at least 1.`);
  }

  return number;
}

function parsePageSize(value: string): number {
  const number = parseCount(value);
  if (number > MAX_IDS_PER_REQUEST) {
    throw new InvalidArgumentError(
      `${number} is above ${MAX_IDS_PER_REQUEST}, the most Netmera accepts per request.`,
    );
  }

  return number;
}
