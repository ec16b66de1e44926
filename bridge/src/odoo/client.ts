import { ConfigError, OdooConcurrencyError, OdooFaultError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { DEFAULT_RETRY_POLICY, withRetry, type RetryHooks, type RetryPolicy } from "./retry.js";
import { CLI_SETTING_NAMES, type SettingNames } from "./setting-names.js";
import { OdooConnectionError, XmlRpcEndpoint, XmlRpcFault } from "./transport.js";

export interface OdooConnection {
  /** Server base URL, for example `http://127.0.0.1:8069`. */
  url: string;
  db: string;
  login: string;
  /** Password or API key of `login`. */
  password: string;
  /** Names that messages give these settings and the run; the command line's flags by default. */
  names?: SettingNames;
}

export interface OdooClientOptions extends OdooConnection {
  logger: Logger;
  /** Abort one call after this many milliseconds; the default stays above Odoo's 120 s limit. */
  timeoutMs?: number;
  retry?: RetryPolicy;
  retryHooks?: RetryHooks;
}

/** Retry policy of one call and the names its error message uses. */
export interface CallOptions {
  /** Model the call acts on, when it differs from the RPC model (`res.partner` for a batch). */
  model?: string;
  /** Method name to show instead of the RPC method. */
  method?: string;
  /** Position of the call in the run, for example `phase contacts, batch 12`. */
  context?: string;
  /** Retry policy of this call instead of the client's. */
  retry?: RetryPolicy;
}

export interface OdooVersion {
  serverVersion: string;
  major: number;
}

export const DEFAULT_CALL_TIMEOUT_MS = 180_000;

/** Retries of the first contact with a server: about two seconds in all. */
export const QUICK_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  baseDelayMs: 500,
  maxDelayMs: 2000,
};

/**
 * PostgreSQL faults caused by concurrent transactions. Odoo retries these five times itself
 * (`PG_CONCURRENCY_ERRORS_TO_RETRY` in `odoo/service/model.py`, Odoo 17 and 18). A fault that
 * still reaches the client can be retried as a whole call, because batches are idempotent.
 */
const CONCURRENCY_FAULT = new RegExp(
  [
    "SerializationFailure",
    "could not serialize access",
    "DeadlockDetected",
    "deadlock detected",
    "LockNotAvailable",
    "could not obtain lock",
    "concurrent update",
    "PoolError",
    "Connection pool is full",
  ].join("|"),
);

/**
 * Faults of a server that is stopping or lost its database connection during the call: Odoo
 * closes cursors when it shuts down, and PostgreSQL ends sessions on restart. The transaction
 * did not commit, or if the commit went through, the batch's ledger makes the retry a no-op.
 */
const SERVER_GOING_AWAY_FAULT = new RegExp(
  [
    "InterfaceError",
    "cursor already closed",
    "connection already closed",
    "server closed the connection unexpectedly",
    "terminating connection due to administrator command",
  ].join("|"),
);

/**
 * Shorten a fault to its message. The last line of a Python traceback names the exception and
 * its message, while user and access faults contain only the message.
 */
export function summariseFault(faultString: string): string {
  const lines = faultString
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  if (!faultString.startsWith("Traceback")) {
    // Lines of a user error are joined, but a list ("- item") keeps one item per line.
    const isItem = (line: string | undefined) => line?.startsWith("- ") === true;
    const text = lines
      .map((line, at) =>
        at === 0 ? line : isItem(line) || isItem(lines[at - 1]) ? `\n${line}` : ` ${line}`,
      )
      .join("");
    return text.slice(0, 2000);
  }

  return (lines.at(-1) ?? faultString).slice(0, 2000);
}

/**
 * Client of Odoo's external API over XML-RPC: `common` (`version`, `authenticate`) and `object`
 * (`execute_kw`). Every call is retried with backoff while it fails with a transient error. A
 * fault becomes an `OdooFaultError` that names the model, the method and the database.
 */
export class OdooClient {
  readonly url: string;
  readonly db: string;
  readonly login: string;
  /** Names that messages give the connection settings and the run. */
  readonly names: SettingNames;
  #password: string;
  #uid: number | undefined;
  private readonly logger: Logger;
  private readonly common: XmlRpcEndpoint;
  private readonly object: XmlRpcEndpoint;
  private readonly retry: RetryPolicy;
  private readonly retryHooks: RetryHooks;
  /** Milliseconds one call may take before it is aborted and retried. */
  readonly timeoutMs: number;

  constructor(options: OdooClientOptions) {
    this.url = options.url.replace(/\/+$/, "");
    this.db = options.db;
    this.login = options.login;
    this.names = options.names ?? CLI_SETTING_NAMES;
    this.#password = options.password;
    this.logger = options.logger;
    const timeoutMs = options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.timeoutMs = timeoutMs;
    this.common = new XmlRpcEndpoint({ baseUrl: this.url, path: "/xmlrpc/2/common", timeoutMs });
    this.object = new XmlRpcEndpoint({ baseUrl: this.url, path: "/xmlrpc/2/object", timeoutMs });
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.retryHooks = options.retryHooks ?? {};
  }

  get uid(): number | undefined {
    return this.#uid;
  }

  /**
   * `common.version`: the server's version, without logging in. It is the first call of every
   * command, so it gives up after a few quick tries instead of waiting out a long outage.
   */
  async version(policy: RetryPolicy = QUICK_RETRY_POLICY): Promise<OdooVersion> {
    const info = (await this.withRetry(
      "common.version",
      () => this.common.call("version", []),
      policy,
    )) as {
      server_version?: string;
      server_version_info?: unknown[];
    };
    const serverVersion = String(info.server_version ?? "unknown");
    const major = Number(info.server_version_info?.[0] ?? Number.parseInt(serverVersion, 10));
    return { serverVersion, major };
  }

  /** `common.authenticate`; returns the user id or throws `ConfigError` for wrong credentials. */
  async authenticate(): Promise<number> {
    const uid = await this.withRetry("common.authenticate", async () => {
      try {
        return await this.common.call("authenticate", [this.db, this.login, this.#password, {}]);
      } catch (error) {
        throw this.toError(error, "res.users", "authenticate", {});
      }
    });
    if (typeof uid !== "number" || uid <= 0) {
      throw new ConfigError(
        `Odoo at ${this.url} rejected the login "${this.login}" on db "${this.db}": wrong ` +
          `login or password. Check ${this.names.login}, and set ${this.names.password} to ` +
          "that user's password or an API key (Odoo › Preferences › Account Security › New API Key).",
      );
    }

    this.#uid = uid;
    return uid;
  }

  /** `object.execute_kw(db, uid, password, model, method, args, kwargs)`, retried while transient. */
  async executeKw<T = unknown>(
    model: string,
    method: string,
    args: unknown[],
    kwargs: Record<string, unknown> = {},
    label: CallOptions = {},
  ): Promise<T> {
    const uid = this.#uid ?? (await this.authenticate());
    const context = label.context ? ` (${label.context})` : "";
    const callName = `${label.model ?? model}.${label.method ?? method}${context}`;
    const result = await this.withRetry(
      callName,
      async () => {
        try {
          return await this.object.call("execute_kw", [
            this.db,
            uid,
            this.#password,
            model,
            method,
            args,
            kwargs,
          ]);
        } catch (error) {
          throw this.toError(error, model, method, label);
        }
      },
      label.retry,
    );
    return result as T;
  }

  /** Release keep-alive sockets. */
  close(): void {
    this.common.close();
    this.object.close();
  }

  /** Keep the password out of `JSON.stringify` and loggers that serialise the client. */
  toJSON(): Record<string, unknown> {
    return { url: this.url, db: this.db, login: this.login, uid: this.#uid };
  }

  private async withRetry<T>(
    what: string,
    operation: () => Promise<T>,
    policy: RetryPolicy = this.retry,
  ): Promise<T> {
    let tries = 0;
    try {
      return await withRetry(
        () => {
          tries += 1;
          return operation();
        },
        policy,
        {
          ...this.retryHooks,
          // Warn, so that a server that stopped answering is visible at the default log level.
          onRetry: (error, attempt, delayMs) => {
            this.logger.warn(
              { call: what, attempt, delayMs, err: (error as Error).message },
              "Odoo call failed, retrying",
            );
            this.retryHooks.onRetry?.(error, attempt, delayMs);
          },
        },
      );
    } catch (error) {
      throw this.gaveUp(error, what, tries);
    }
  }

  /** Name the call, the URL, the tries and, for a silent server, the timeout. */
  private gaveUp(error: unknown, what: string, tries: number): unknown {
    if (!(error instanceof OdooConnectionError)) return error;

    const attempts = tries === 1 ? "1 try" : `${tries} tries`;
    const message =
      error.kind === "timeout"
        ? `Odoo at ${error.endpoint} accepted the connection but did not answer ${what} ` +
          `within the timeout of ${this.timeoutMs / 1000} s (${attempts}). Check the Odoo ` +
          "server's log and load, or allow slower answers with --timeout SECONDS."
        : `Odoo call ${what} to ${error.endpoint} failed (${attempts}): ${error.message}`;
    return new OdooConnectionError(error.kind, error.endpoint, error.method, message, {
      cause: error,
    });
  }

  private toError(error: unknown, model: string, method: string, label: CallOptions): unknown {
    if (!(error instanceof XmlRpcFault)) {
      return error;
    }

    const context = label.context ? ` (${label.context})` : "";
    const message =
      `${label.model ?? model} ${label.method ?? method} failed on db "${this.db}"${context}: ` +
      summariseFault(error.faultString);
    // Only the exception that ended the call decides; a traceback may quote earlier ones.
    const summary = summariseFault(error.faultString);
    const FaultType =
      CONCURRENCY_FAULT.test(summary) || SERVER_GOING_AWAY_FAULT.test(summary)
        ? OdooConcurrencyError
        : OdooFaultError;
    return new FaultType(model, method, String(error.faultCode), message, { cause: error });
  }
}

/** True when `error` is a fault Odoo raised as access denied (fault code 3). */
export function isAccessDenied(error: unknown): boolean {
  return (
    error instanceof OdooFaultError &&
    (error.fault === "3" || /AccessDenied|Access Denied/.test(error.message))
  );
}
