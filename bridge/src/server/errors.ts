import { BridgeError, OdooFaultError, RequestError } from "../core/errors.js";

/** One problem in a request body or parameter, located by its path (`sampleSize`, `odoo.url`). */
export interface RequestIssue {
  path: string;
  message: string;
}

/** A request that failed validation; every issue is listed, not only the first. */
export class RequestValidationError extends RequestError {
  constructor(readonly issues: RequestIssue[]) {
    super(
      `invalid request: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ")}`,
    );
  }
}

/** A job was requested for a run that already has one running. */
export class JobConflictError extends BridgeError {
  override readonly code = "job_conflict";
  override readonly status = 409;
}

/** An upload larger than the configured cap. */
export class PayloadTooLargeError extends BridgeError {
  override readonly code = "payload_too_large";
  override readonly status = 413;
}

/** A body in a form the route does not read, such as a zip sent as a multipart form. */
export class UnsupportedMediaTypeError extends BridgeError {
  override readonly code = "unsupported_media_type";
  override readonly status = 415;
}

/** An uploaded archive that is not a zip, or whose entries would escape or flood the target. */
export class UnsafeArchiveError extends BridgeError {
  override readonly code = "unsafe_archive";
  override readonly status = 422;
}

/** An archive that unpacked safely but contains no snapshot (no file at all). */
export class InvalidSnapshotError extends BridgeError {
  override readonly code = "invalid_snapshot";
  override readonly status = 422;
}

/** The data folder's file system has too little free space for an upload to unpack. */
export class InsufficientStorageError extends BridgeError {
  override readonly code = "insufficient_storage";
  override readonly status = 507;
}

/** The server is shutting down and takes no new jobs. */
export class ShuttingDownError extends BridgeError {
  override readonly code = "shutting_down";
  override readonly status = 503;
}

/** Text that marks a Python traceback, which may show Odoo's code, paths and data. */
const TRACEBACK_PATTERN = /Traceback \(most recent call last\)|File "[^"]*", line \d+/;

/** Maximum length of a public message, so that job records and HTTP responses stay small. */
const MAX_PUBLIC_CHARS = 2000;

/**
 * Put a multi-line message on one line. Messages such as "cannot be rendered:\n  reason\n
 * reason" put their reasons on the lines after the first, so each line is kept, joined by "; ",
 * until `MAX_PUBLIC_CHARS`. The first line and the first reason are always kept, each up to
 * that length.
 */
function oneLine(message: string): string {
  const lines = message
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
  let text = lines
    .slice(0, 2)
    .reduce((joined, line) => joinLine(joined, line.slice(0, MAX_PUBLIC_CHARS)), "");
  let shown = Math.min(lines.length, 2);
  for (const line of lines.slice(2)) {
    const longer = joinLine(text, line);
    if (longer.length > MAX_PUBLIC_CHARS) break;
    text = longer;
    shown += 1;
  }
  if (shown < lines.length) text += `; and ${lines.length - shown} more in the bridge log`;
  return text;
}

function joinLine(joined: string, line: string): string {
  if (joined === "") return line;
  return joined.endsWith(":") ? `${joined} ${line}` : `${joined}; ${line}`;
}

/**
 * The message a client may see for an error: a `BridgeError`'s own message, its lines joined
 * into one (see `oneLine`). A message that looks like a Python traceback is reduced to what
 * failed (the model and method for an Odoo fault), and an unknown error to "internal error".
 * The full error stays in the log.
 */
export function publicMessage(error: unknown): string {
  if (!(error instanceof BridgeError)) return "internal error";

  if (TRACEBACK_PATTERN.test(error.message)) {
    if (error instanceof OdooFaultError) {
      return `${error.model}.${error.method} failed in Odoo; the bridge log has the details`;
    }
    return `${error.code}: the bridge log has the details`;
  }
  return oneLine(error.message);
}
