import { pino, type Logger } from "pino";

export type { Logger };

/**
 * Paths that are redacted from every log line. Push tokens and credentials must never reach a
 * log, whatever object a caller passes in.
 */
export const REDACTED_PATHS = [
  "password",
  "apiKey",
  "token",
  "deviceToken",
  "pushToken",
  "authorization",
  "*.password",
  "*.apiKey",
  "*.token",
  "*.deviceToken",
  "*.pushToken",
  "*.authorization",
  "req.headers.authorization",
  'req.headers["x-netmera-api-key"]',
  'req.headers["x-bridge-token"]',
];

export interface LoggerOptions {
  level?: string;
  /** Where log lines go; defaults to standard error so that standard output stays for results. */
  destination?: NodeJS.WritableStream;
}

/** Create the structured (JSON lines) logger that every module receives from its caller. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.NETMERA_ODOO_LOG_LEVEL ?? "warn";
  const destination = options.destination ?? process.stderr;
  return pino(
    { level, redact: { paths: REDACTED_PATHS, censor: "[redacted]" }, base: undefined },
    destination as pino.DestinationStream,
  );
}

/** A logger that drops everything, for tests and library callers that pass none. */
export const silentLogger: Logger = pino({ level: "silent" });
