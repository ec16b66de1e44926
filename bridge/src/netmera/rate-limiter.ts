/**
 * Spaces requests evenly at a fixed rate. Netmera documents no rate limit, so the client keeps
 * a conservative pace of its own; every attempt, retries included, takes a slot.
 */
export class RateLimiter {
  private readonly intervalMs: number;
  private nextSlotAt = 0;

  constructor(
    requestsPerSecond: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = defaultSleep,
  ) {
    if (!(requestsPerSecond > 0) || !Number.isFinite(requestsPerSecond)) {
      throw new RangeError(
        `rate must be a positive number of requests per second, got ${requestsPerSecond}`,
      );
    }

    this.intervalMs = 1000 / requestsPerSecond;
  }

  /** Wait until the next request may start, and reserve that slot. */
  async acquire(): Promise<void> {
    const now = this.now();
    const slot = Math.max(now, this.nextSlotAt);
    this.nextSlotAt = slot + this.intervalMs;
    if (slot > now) {
      await this.sleep(slot - now);
    }
  }
}

export function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
}
