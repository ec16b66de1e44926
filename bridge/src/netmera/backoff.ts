export interface BackoffPolicy {
  /** Total attempts per request, the first one included. */
  maxAttempts: number;
  /** Delay before the first retry; it doubles for every further retry. */
  baseDelayMs: number;
  /** Upper bound of a computed delay and of a server's Retry-After. */
  maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  maxAttempts: 5,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
};

/**
 * Delay before retry number `retry` (1 for the first retry): exponential with "equal jitter",
 * so that parallel workers spread out but never retry sooner than half the nominal delay. A
 * Retry-After from the server is a lower bound, capped by `maxDelayMs`.
 */
export function retryDelayMs(
  policy: BackoffPolicy,
  retry: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  const nominal = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  const jittered = nominal / 2 + (random() * nominal) / 2;
  if (retryAfterMs === undefined) {
    return Math.round(jittered);
  }

  return Math.round(Math.min(policy.maxDelayMs, Math.max(retryAfterMs, jittered)));
}

/** Parse a Retry-After header: delay in seconds or an HTTP date (RFC 9110, section 10.2.3). */
export function parseRetryAfter(
  value: string | null,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value.trim() === "") {
    return undefined;
  }

  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) {
    return Number(trimmed) * 1000;
  }

  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) {
    return undefined;
  }

  return Math.max(0, at - now);
}
