import { setTimeout as sleep } from "node:timers/promises";
import { isRetryable } from "../core/errors.js";

/** Bounded exponential backoff with jitter for calls whose failure is transient. */
export interface RetryPolicy {
  /** Total tries, the first one included. */
  maxAttempts: number;
  /** Delay before the second try, in milliseconds; it doubles after every failed try. */
  baseDelayMs: number;
  /** Upper bound of one delay, in milliseconds. */
  maxDelayMs: number;
}

/**
 * Defaults sized for an Odoo restart: the delays add up to between 30 and 61 seconds before the
 * last try, longer than a restart of Odoo with its registry loading takes on a small server.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 12,
  baseDelayMs: 250,
  maxDelayMs: 15_000,
};

export interface RetryHooks {
  /** Called before each wait, with the try that failed (1-based) and the delay chosen. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Source of randomness in [0, 1); tests pass a fixed one. */
  random?: () => number;
  wait?: (ms: number) => Promise<unknown>;
}

/**
 * Delay before try `attempt + 1`: half of the exponential step is fixed and half is random
 * ("equal jitter"), so clients that failed together do not come back together, and every wait
 * still lasts at least half its step.
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

/** Run `operation`, retrying while it fails with a retryable error and tries are left. */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  hooks: RetryHooks = {},
): Promise<T> {
  const random = hooks.random ?? Math.random;
  const wait = hooks.wait ?? sleep;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (!isRetryable(error) || attempt >= policy.maxAttempts) {
        throw error;
      }

      const delay = backoffDelay(policy, attempt, random);
      hooks.onRetry?.(error, attempt, delay);
      await wait(delay);
    }
  }
}
