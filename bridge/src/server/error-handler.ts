import type { ErrorRequestHandler, RequestHandler } from "express";
import { BridgeError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { PayloadTooLargeError, publicMessage, RequestValidationError } from "./errors.js";

/** Respond to unknown routes with a JSON 404 rather than express's HTML page. */
export function notFound(): RequestHandler {
  return (req, res) => {
    res.status(404).json({ error: `no route for ${req.method} ${req.path}` });
  };
}

/** True for a body that is valid JSON but not an object or array (`null`, `1`, `"x"`). */
function parsesAsJson(body: unknown): boolean {
  if (typeof body !== "string") return false;
  try {
    JSON.parse(body);
    return true;
  } catch {
    return false;
  }
}

function isBodyParserError(
  error: unknown,
): error is { status: number; type: string; limit?: number } {
  return (
    typeof error === "object" &&
    error !== null &&
    typeof (error as { type?: unknown }).type === "string" &&
    typeof (error as { status?: unknown }).status === "number"
  );
}

/** True for the error a request stream raises when its client disconnects mid-body. */
function clientAborted(error: unknown, req: { readonly aborted?: boolean; destroyed: boolean }) {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    error instanceof Error &&
    (code === "ECONNRESET" || code === "ECONNABORTED") &&
    (req.destroyed || error.message === "aborted")
  );
}

/**
 * The one error handler. A `BridgeError` gets a response with its status and message (Odoo faults
 * with a short form, see `publicMessage`); a JSON body that does not parse gets 400. Anything
 * else is logged with its stack and gets a 500 response with only the request id, so stack traces and
 * Odoo tracebacks stay in the log.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    const requestId = res.locals.requestId as string | undefined;
    if (res.headersSent) {
      next(error);
      return;
    }

    if (error instanceof RequestValidationError) {
      res.status(400).json({ error: "invalid request", issues: error.issues, requestId });
      return;
    }

    if (error instanceof PayloadTooLargeError) {
      // The client may still be sending; closing the connection stops it.
      res.set("Connection", "close");
    }

    if (error instanceof BridgeError && error.status < 500) {
      logger.info({ requestId, code: error.code }, error.message);
      res.status(error.status).json({ error: error.message, code: error.code, requestId });
      return;
    }

    if (isBodyParserError(error) && error.status < 500) {
      const message =
        error.type === "entity.parse.failed"
          ? parsesAsJson((error as { body?: unknown }).body)
            ? "request body must be a JSON object"
            : "request body is not valid JSON"
          : error.type === "entity.too.large" && typeof error.limit === "number"
            ? `request body is larger than the limit of ${error.limit} bytes for JSON bodies; ` +
              "upload snapshots as a zip to POST /snapshots"
            : error.type;
      res.status(error.status).json({ error: message, requestId });
      return;
    }

    if (clientAborted(error, req)) {
      // The client went away mid-request (closed, timed out, dropped the upload). Nothing
      // failed on this side, and there is no one left to send a response to.
      logger.warn(
        { requestId, method: req.method, path: req.path, received: req.socket.bytesRead },
        "client closed the connection before the request body ended",
      );
      return;
    }

    logger.error({ err: error, requestId, method: req.method, path: req.path }, "request failed");
    if (error instanceof BridgeError) {
      res.status(error.status).json({ error: publicMessage(error), code: error.code, requestId });
      return;
    }

    res.status(500).json({ error: "internal error", requestId });
  };
}
