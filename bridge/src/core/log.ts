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

/** `json`: one pino JSON object per line; `human`: one `warning: message (key=value …)` line. */
export type LogFormat = "human" | "json";

export const LOG_FORMATS: readonly LogFormat[] = ["human", "json"];

export interface LoggerOptions {
  level?: string;
  /** Where log lines go; defaults to standard error so that standard output stays for results. */
  destination?: NodeJS.WritableStream;
  /**
   * Line format. A logger made without one writes JSON for good. A logger made with one can be
   * switched later by `setLogFormat`, which the CLI does once it has parsed its options.
   */
  format?: LogFormat;
}

const LEVEL_LABELS: Record<number, string> = {
  10: "trace",
  20: "debug",
  30: "info",
  40: "warning",
  50: "error",
  60: "fatal",
};

/** Fields every pino line carries that the human line shows in other ways or not at all. */
const FRAME_KEYS = new Set(["level", "time", "msg", "pid", "hostname"]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function plainValue(value: unknown): string {
  if (typeof value === "string") return /^[^\s"=()]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === "object" && value !== null) return JSON.stringify(value);
  return String(value);
}

/** Flatten `fields` into `key=value` pairs, with dotted keys for nested objects. */
function pairs(fields: Record<string, unknown>, prefix: string, out: string[]): string[] {
  for (const [key, value] of Object.entries(fields)) {
    if (FRAME_KEYS.has(key) && prefix === "") continue;
    const name = `${prefix}${key}`;
    // pino's error serializer gives { type, message, stack }: the stack is for debugging only.
    if (isRecord(value) && typeof value.message === "string" && "stack" in value) {
      out.push(`${name}=${plainValue(value.message)}`);
    } else if (isRecord(value) && Object.keys(value).length > 0) {
      pairs(value, `${name}.`, out);
    } else {
      out.push(`${name}=${plainValue(value)}`);
    }
  }
  return out;
}

/**
 * Turn one pino JSON line into `warning: message (key=value …)`. Redaction happens before pino
 * writes the JSON, so a redacted field reads `[redacted]` here too. A line that is not JSON is
 * passed on unchanged.
 */
export function humanLogLine(jsonLine: string): string {
  let record: unknown;
  try {
    record = JSON.parse(jsonLine);
  } catch {
    return jsonLine;
  }
  if (!isRecord(record)) return jsonLine;
  const level = typeof record.level === "number" ? record.level : 30;
  const label = LEVEL_LABELS[level] ?? `level ${level}`;
  const message = typeof record.msg === "string" ? record.msg : "";
  const fields = pairs(record, "", []);
  const detail = fields.length ? ` (${fields.join(" ")})` : "";
  return `${label}: ${message}${detail}\n`;
}

/** A pino destination whose line format can change after the logger was made. */
class SwitchableDestination {
  constructor(
    private readonly target: NodeJS.WritableStream,
    public format: LogFormat,
  ) {}

  write(line: string): void {
    this.target.write(this.format === "json" ? line : humanLogLine(line));
  }
}

const switchable = new WeakMap<Logger, SwitchableDestination>();

/** Create the logger that every module receives from its caller. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.NETMERA_ODOO_LOG_LEVEL ?? "warn";
  const target = options.destination ?? process.stderr;
  const destination = options.format
    ? new SwitchableDestination(target, options.format)
    : (target as pino.DestinationStream);
  const logger = pino(
    { level, redact: { paths: REDACTED_PATHS, censor: "[redacted]" }, base: undefined },
    destination,
  );
  if (destination instanceof SwitchableDestination) switchable.set(logger, destination);
  return logger;
}

/**
 * Switch the line format of a logger made with `createLogger({ format })`, and of its children
 * made afterwards or before, which share its destination. Return false for any other logger,
 * whose format stays as it is.
 */
export function setLogFormat(logger: Logger, format: LogFormat): boolean {
  const destination = switchable.get(logger);
  if (!destination) return false;
  destination.format = format;
  return true;
}

/** A logger that drops everything, for tests and library callers that pass none. */
export const silentLogger: Logger = pino({ level: "silent" });
