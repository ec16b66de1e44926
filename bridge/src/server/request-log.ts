import { randomUUID } from "node:crypto";
import type { RequestHandler } from "express";
import type { Logger } from "../core/log.js";

/** A caller-supplied request id is kept only when it is this short and plain. */
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Give every request an id (`X-Request-Id`, echoed back) and log one line when its response
 * ends: method, path without query string, status, duration and id. Headers and bodies are not
 * logged, so tokens and credentials never reach the log from here.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get("x-request-id");
    const requestId = incoming && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
    const started = process.hrtime.bigint();
    res.locals.requestId = requestId;
    res.setHeader("X-Request-Id", requestId);

    res.on("finish", () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const line = {
        requestId,
        method: req.method,
        path: req.path,
        status: res.statusCode,
        durationMs: Math.round(durationMs * 10) / 10,
      };
      if (res.statusCode >= 500) logger.error(line, "request");
      else if (res.statusCode >= 400) logger.warn(line, "request");
      else logger.info(line, "request");
    });
    next();
  };
}
