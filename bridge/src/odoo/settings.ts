import { parseConfigText } from "../core/config-text.js";
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { z } from "zod";
import { ConfigError } from "../core/errors.js";
import type { OdooConnection } from "./client.js";

/**
 * Connection settings shared by the commands that talk to Odoo. Command-line options win over
 * the config file; the password comes from `ODOO_PASSWORD` or the config file, never from the
 * command line, where it would land in shell history and process listings.
 */

export const configFileSchema = z
  .object({
    odooUrl: z.string().url().optional(),
    db: z.string().min(1).optional(),
    user: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    plan: z.string().min(1).optional(),
    mapping: z.string().min(1).optional(),
    concurrency: z.number().int().min(1).max(16).optional(),
    batchRows: z.number().int().min(1).optional(),
    batchBytes: z.number().int().min(1).optional(),
    /** Seconds one Odoo request may take before it is retried. */
    timeout: z.number().int().min(1).optional(),
  })
  .strict();

export type ConfigFile = z.infer<typeof configFileSchema>;

export interface ConnectionFlags {
  odooUrl?: string;
  db?: string;
  user?: string;
  config?: string;
}

/** Read a JSON or YAML config file; every invalid key is listed with its path. */
export function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }

  const data = parseConfigText(path, text);

  const parsed = configFileSchema.safeParse(data ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join(".") || "(top level)"}: ${issue.message}`)
      .join("; ");
    throw new ConfigError(`config file ${path} is invalid: ${problems}`);
  }

  return parsed.data;
}

/** Resolve the Odoo connection from flags, config file and environment. */
export function resolveConnection(
  flags: ConnectionFlags,
  env: NodeJS.ProcessEnv,
  config: ConfigFile = flags.config ? readConfigFile(flags.config) : {},
): OdooConnection {
  const url = flags.odooUrl ?? config.odooUrl;
  const db = flags.db ?? config.db;
  const login = flags.user ?? config.user;
  const password = env.ODOO_PASSWORD || config.password;
  const missing = [
    url ? undefined : "--odoo-url URL",
    db ? undefined : "--db DB",
    login ? undefined : "--user LOGIN",
  ].filter(Boolean);
  if (missing.length > 0) {
    throw new ConfigError(`missing ${missing.join(", ")} (or set them in --config FILE)`);
  }

  if (!password) {
    throw new ConfigError(
      "no Odoo password: set ODOO_PASSWORD to the password or an API key of " +
        `"${login}" (or "password" in --config FILE)`,
    );
  }

  if (!/^https?:\/\//.test(url!)) {
    throw new ConfigError(`--odoo-url must start with http:// or https:// (got "${url}")`);
  }
  // Messages repeat the URL, so a password written into it would be printed back.
  if (/^https?:\/\/[^/?#]*@/.test(url!)) {
    throw new ConfigError(
      "--odoo-url must not contain a user name or password; give the login with --user and " +
        "the password in ODOO_PASSWORD",
    );
  }

  return { url: url!, db: db!, login: login!, password };
}

/** Parse a positive whole-number option, naming the option when the value is wrong. */
export function parsePositiveInt(
  option: string,
  value: string | number | undefined,
): number | undefined {
  if (value === undefined) return undefined;

  // Only plain digits: Number() would also read "1e9" and "0x10".
  const number =
    typeof value === "number" ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < 1) {
    throw new ConfigError(`${option} must be a whole number of at least 1 (got "${value}")`);
  }

  return number;
}

/** Add `--odoo-url`, `--db`, `--user` and `--config` to a command. */
export function addConnectionOptions(command: Command): Command {
  return command
    .option("--odoo-url <url>", "Odoo base URL, for example https://crm.example.com")
    .option("--db <db>", "Odoo database name")
    .option("--user <login>", "Odoo login; the password or API key comes from ODOO_PASSWORD")
    .option("--config <file>", "JSON or YAML file with odooUrl, db, user, password and defaults");
}

/** Add `--timeout SECONDS`, the limit of one Odoo request, with its default in the help. */
export function addTimeoutOption(
  command: Command,
  defaultSeconds: number,
  onTimeout = "a request without an answer by then is retried with backoff, then the command " +
    "stops naming the URL and the call",
): Command {
  return command.option(
    "--timeout <seconds>",
    `seconds one Odoo request may take (default ${defaultSeconds}); ${onTimeout}`,
  );
}

/** `--timeout` (or `timeout` of the config file) in milliseconds, or undefined for the default. */
export function timeoutMsFrom(
  flag: string | undefined,
  config: ConfigFile = {},
): number | undefined {
  const seconds = parsePositiveInt("--timeout", flag) ?? config.timeout;
  return seconds === undefined ? undefined : seconds * 1000;
}
