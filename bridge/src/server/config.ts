import { parseConfigText } from "../core/config-text.js";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import cron from "node-cron";
import { z } from "zod";
import { ConfigError } from "../core/errors.js";
import { isValidTimeZone } from "../normalize/dates.js";
import type { SettingNames } from "../odoo/setting-names.js";
import { readBridgeToken } from "./auth.js";

const uploadsSchema = z
  .object({
    maxUploadBytes: z.number().int().positive().optional(),
    maxUnpackedBytes: z.number().int().positive().optional(),
    maxEntryBytes: z.number().int().positive().optional(),
    /** Largest inflated/compressed ratio of one entry, such as 100 for 100:1. */
    maxRatio: z.number().min(1).optional(),
    maxEntries: z.number().int().positive().optional(),
    /** Disk space that must stay free after an upload is unpacked, in bytes. */
    minFreeBytes: z.number().int().min(0).optional(),
  })
  .strict();

const netmeraSchema = z
  .object({
    /** Netmera REST API base URL; the public one when left out. */
    baseUrl: z.string().url().optional(),
    /** Application name recorded in the snapshot manifest. */
    app: z.string().min(1).optional(),
    /** Prefer `NETMERA_API_KEY` in the environment; a key in a file is easier to leak. */
    apiKey: z.string().min(1).optional(),
    sourceTimeZone: z.string().min(1).optional(),
    /** Folder of panel and FTP export files copied into every pulled snapshot. */
    exportsDir: z.string().min(1).optional(),
    requestsPerSecond: z.number().positive().optional(),
    concurrency: z.number().int().min(1).max(16).optional(),
    timeoutMs: z.number().int().positive().optional(),
    pageSize: z.number().int().min(1).max(1000).optional(),
    inbox: z.boolean().optional(),
  })
  .strict();

const resyncSchema = z
  .object({
    /** node-cron expression; six fields (with seconds) or five. */
    cron: z.string().refine((value) => cron.validate(value), "is not a valid cron expression"),
    timezone: z
      .string()
      .refine((value) => isValidTimeZone(value), "is not an IANA time zone name")
      .optional(),
    /** The confirmed mapping.json every re-sync plans with, relative to the config file. */
    mapping: z.string().min(1),
    /** Re-sync snapshots and plans kept on disk; older ones are removed. */
    keep: z.number().int().min(1).default(3),
    /**
     * Reference of the data processing agreement that covers the re-syncs; every run a re-sync
     * creates is authorised under it, as the run form's GDPR button would record.
     */
    gdprAgreement: z.string().min(1),
  })
  .strict();

/**
 * `serve --config FILE`: JSON or YAML. The Odoo keys are the same as those of `migrate`'s
 * config file, so one file can serve both.
 */
export const serveConfigSchema = z
  .object({
    host: z.string().min(1).optional(),
    port: z.number().int().min(0).max(65_535).optional(),
    dataDir: z.string().min(1).optional(),
    odooUrl: z.string().url().optional(),
    db: z.string().min(1).optional(),
    user: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    concurrency: z.number().int().min(1).max(16).optional(),
    batchRows: z.number().int().min(1).optional(),
    batchBytes: z.number().int().min(1).optional(),
    netmera: netmeraSchema.optional(),
    resync: resyncSchema.optional(),
    uploads: uploadsSchema.optional(),
    chromiumPath: z.string().min(1).optional(),
  })
  .strict();

export type ServeConfigFile = z.infer<typeof serveConfigSchema>;

export interface OdooSettings {
  url: string;
  db: string;
  login: string;
  password: string;
  /** Names that job messages give these settings, set by the jobs. */
  names?: SettingNames;
}

export interface ServeSettings {
  host: string;
  port: number;
  dataDir: string;
  token: string;
  /** Missing when neither the config file nor the environment names an Odoo. */
  odoo: OdooSettings | null;
  migrate: { concurrency?: number; batchRows?: number; batchBytes?: number };
  netmera: (z.infer<typeof netmeraSchema> & { apiKey?: string }) | null;
  resync: z.infer<typeof resyncSchema> | null;
  uploads: z.infer<typeof uploadsSchema>;
  /** Chromium executable for inventory PDFs. */
  chromiumPath: string;
}

export interface ServeFlags {
  port?: string;
  host?: string;
  config?: string;
  dataDir?: string;
}

export const DEFAULT_PORT = 3100;
export const DEFAULT_HOST = "127.0.0.1";

function issuesText(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.join(".") || "(top level)"}: ${issue.message}`)
    .join("; ");
}

/** Read and validate a serve config file; every invalid key is listed with its path. */
export function readServeConfig(path: string): ServeConfigFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }

  const data = parseConfigText(path, text);

  const parsed = serveConfigSchema.safeParse(data ?? {});
  if (!parsed.success) {
    throw new ConfigError(`config file ${path} is invalid: ${issuesText(parsed.error)}`);
  }
  return parsed.data;
}

function parsePort(raw: string, source: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65_535) {
    throw new ConfigError(`${source} must be a port number from 0 to 65535 (got "${raw}")`);
  }
  return port;
}

function odooSettings(config: ServeConfigFile, env: NodeJS.ProcessEnv): OdooSettings | null {
  const url = env.ODOO_URL || config.odooUrl;
  const db = env.ODOO_DB || config.db;
  const login = env.ODOO_USER || config.user;
  const password = env.ODOO_PASSWORD || config.password;
  if (!url && !db && !login && !password) return null;

  const missing = [
    url ? null : "ODOO_URL",
    db ? null : "ODOO_DB",
    login ? null : "ODOO_USER",
    password ? null : "ODOO_PASSWORD",
  ].filter(Boolean);
  if (missing.length > 0) {
    throw new ConfigError(
      `incomplete Odoo settings: set ${missing.join(", ")} (or odooUrl, db, user, password in --config FILE)`,
    );
  }
  if (!/^https?:\/\//.test(url!)) {
    throw new ConfigError(`ODOO_URL must start with http:// or https:// (got "${url}")`);
  }
  return { url: url!, db: db!, login: login!, password: password! };
}

/**
 * Settle the server's settings. Flags win over the environment, which wins over the config
 * file. Secrets (bridge token, Odoo password, Netmera key) are read from the environment, or
 * from the config file for the last two.
 */
export function resolveServeSettings(flags: ServeFlags, env: NodeJS.ProcessEnv): ServeSettings {
  const config = flags.config ? readServeConfig(flags.config) : {};
  const token = readBridgeToken(env);
  const portText = flags.port ?? env.NETMERA_ODOO_BRIDGE_PORT;
  const port = portText
    ? parsePort(portText, flags.port ? "--port" : "NETMERA_ODOO_BRIDGE_PORT")
    : (config.port ?? DEFAULT_PORT);
  const host = flags.host ?? env.NETMERA_ODOO_BRIDGE_HOST ?? config.host ?? DEFAULT_HOST;
  const dataDir = resolve(
    flags.dataDir ?? env.NETMERA_ODOO_DATA_DIR ?? config.dataDir ?? "netmera-odoo-data",
  );
  const netmera = config.netmera
    ? { ...config.netmera, apiKey: env.NETMERA_API_KEY || config.netmera.apiKey }
    : null;
  const odoo = odooSettings(config, env);
  if (config.resync && (!netmera?.apiKey || !odoo)) {
    throw new ConfigError(
      "resync pulls from Netmera and migrates into Odoo: it needs a netmera section in the " +
        "config file, NETMERA_API_KEY, and the Odoo settings (ODOO_URL, ODOO_DB, ODOO_USER, " +
        "ODOO_PASSWORD)",
    );
  }

  return {
    host,
    port,
    dataDir,
    token,
    odoo,
    migrate: {
      concurrency: config.concurrency,
      batchRows: config.batchRows,
      batchBytes: config.batchBytes,
    },
    netmera,
    resync: config.resync
      ? { ...config.resync, mapping: resolve(dirname(flags.config!), config.resync.mapping) }
      : null,
    uploads: config.uploads ?? {},
    chromiumPath: env.CHROMIUM_PATH ?? config.chromiumPath ?? "/usr/bin/chromium",
  };
}

/** Return the settings in a form that may be logged, without any secret. */
export function describeSettings(settings: ServeSettings): Record<string, unknown> {
  return {
    host: settings.host,
    port: settings.port,
    dataDir: settings.dataDir,
    odoo: settings.odoo
      ? { url: settings.odoo.url, db: settings.odoo.db, login: settings.odoo.login }
      : null,
    netmera: settings.netmera
      ? { baseUrl: settings.netmera.baseUrl, app: settings.netmera.app }
      : null,
    resync: settings.resync
      ? { cron: settings.resync.cron, mapping: settings.resync.mapping }
      : null,
  };
}
