/**
 * Error taxonomy. Every error the bridge raises on purpose is a `BridgeError` with a stable
 * `code`. Whether retrying can help is part of the type (`retryable`), never guessed from a
 * message, and errors of other types are never retried.
 */
export class BridgeError extends Error {
  readonly code: string = "bridge_error";
  readonly retryable: boolean = false;
  /** HTTP status the bridge API returns when this error reaches its error handler. */
  readonly status: number = 500;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Invalid command-line input, configuration or environment. The message names what to change. */
export class ConfigError extends BridgeError {
  override readonly code: string = "config_error";
  override readonly status = 400;
}

/** One bad value in a snapshot file, located by file, line and column. */
export class ExportRowError extends BridgeError {
  override readonly code = "export_row_error";
  override readonly status = 422;

  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: string,
    readonly value: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${file} line ${line}, column "${column}": ${JSON.stringify(value)} ${reason}`, options);
  }
}

/** A whole snapshot file that cannot be read (encoding, layout, missing header, bad JSON). */
export class SnapshotFileError extends BridgeError {
  override readonly code = "snapshot_file_error";
  override readonly status = 422;

  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${message}`, options);
  }
}

/** The snapshot no longer matches its manifest (a file was added, removed or changed). */
export class SnapshotTamperedError extends BridgeError {
  override readonly code = "snapshot_tampered";
  override readonly status = 409;
}

/** A command that writes to Odoo was started while the mapping is unconfirmed or stale. */
export class MappingUnconfirmedError extends BridgeError {
  override readonly code = "mapping_unconfirmed";
  override readonly status = 409;
}

/** A fault returned by Odoo for one call. It is permanent unless a subclass sets `retryable`. */
export class OdooFaultError extends BridgeError {
  override readonly code: string = "odoo_fault";
  override readonly status = 502;

  constructor(
    readonly model: string,
    readonly method: string,
    readonly fault: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A fault caused by concurrent transactions in Odoo's database (serialization failure,
 * deadlock, lock not available) that outlived Odoo's own retries. The same call may succeed later.
 */
export class OdooConcurrencyError extends OdooFaultError {
  override readonly code = "odoo_concurrency";
  override readonly retryable = true;
}

/** Odoo could not be reached or did not respond in time, so retrying may help. */
export class OdooUnavailableError extends BridgeError {
  override readonly code = "odoo_unavailable";
  override readonly retryable = true;
  override readonly status = 503;
}

/** An error response of the Netmera REST API, with the endpoint and Netmera's own error code. */
export class NetmeraApiError extends BridgeError {
  override readonly code: string = "netmera_api_error";
  override readonly status = 502;

  constructor(
    readonly endpoint: string,
    readonly httpStatus: number,
    readonly netmeraCode: number | undefined,
    message: string,
    retryable = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.retryable = retryable;
  }

  override readonly retryable: boolean;
}

/** An invalid request to the bridge API that no more specific error type describes. */
export class RequestError extends BridgeError {
  override readonly code = "bad_request";
  override readonly status = 400;
}

/** A run, job or snapshot that a command or bridge API request names does not exist. */
export class NotFoundError extends BridgeError {
  override readonly code = "not_found";
  override readonly status = 404;
}

/**
 * A migration stopped on request (the bridge shutting down) between batches. The batches in
 * flight committed and the run keeps its checkpoint, so running it again resumes.
 */
export class MigrationStoppedError extends BridgeError {
  override readonly code = "migration_stopped";
  override readonly status = 503;
}

export function isRetryable(error: unknown): boolean {
  return error instanceof BridgeError && error.retryable;
}
