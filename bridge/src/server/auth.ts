import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";
import { ConfigError } from "../core/errors.js";

/** Shortest bridge token accepted; shorter ones are guessable by brute force over HTTP. */
export const MIN_TOKEN_LENGTH = 32;

/** Environment variable that carries the bridge token, shared with the Odoo addon. */
export const TOKEN_ENV = "NETMERA_ODOO_BRIDGE_TOKEN";

/** Read and check the bridge token; the server does not start without a long enough one. */
export function readBridgeToken(env: NodeJS.ProcessEnv): string {
  const token = env[TOKEN_ENV]?.trim();
  if (!token) {
    throw new ConfigError(
      `${TOKEN_ENV} is not set; set it to a random secret of at least 32 characters`,
    );
  }
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new ConfigError(
      `${TOKEN_ENV} is ${token.length} characters long; use at least ${MIN_TOKEN_LENGTH} characters`,
    );
  }
  return token;
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/** The scheme name is case-insensitive (RFC 7235, section 2.1): proxies send "bearer" too. */
const BEARER = /^bearer[ \t]+(.*)$/i;

function presentedToken(header: string | undefined, alternative: string | undefined): string {
  const bearer = header === undefined ? null : BEARER.exec(header);
  if (bearer) return (bearer[1] ?? "").trim();
  return alternative?.trim() ?? "";
}

/**
 * Require the bridge token as `Authorization: Bearer <token>` or `X-Bridge-Token: <token>`.
 * Both sides are hashed first so that `timingSafeEqual` compares equal-length buffers and the
 * time taken does not depend on how much of the token matched, nor reveal its length.
 */
export function requireToken(token: string): RequestHandler {
  const expected = digest(token);
  return (req, res, next) => {
    const given = presentedToken(req.get("authorization"), req.get("x-bridge-token"));
    if (given && timingSafeEqual(digest(given), expected)) {
      next();
      return;
    }

    // RFC 7235 requires a 401 to name the scheme. The detail names the headers that carry the token.
    res.set("WWW-Authenticate", 'Bearer realm="netmera-odoo bridge"');
    res.status(401).json({
      error: "unauthorized",
      detail: given
        ? "the bridge token does not match the one this server was started with"
        : "no bridge token: send Authorization: Bearer <token> or X-Bridge-Token: <token>",
      requestId: res.locals.requestId,
    });
  };
}
