import type { Logger } from "../core/log.js";
import type { OdooClient } from "../odoo/client.js";
import { RUN_MODEL } from "../odoo/preflight.js";
import type { RetryPolicy } from "../odoo/retry.js";

/**
 * The bridge's sign of life on a running run. Odoo counts a running run whose last heartbeat
 * is older than its lease (2 minutes unless configured) as interrupted, so that a killed
 * migrate does not block rollback for ever. The default interval leaves room for three missed
 * beats within that lease.
 */

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 30_000;

/** One quick retry only: the next beat comes soon anyway. */
const BEAT_RETRY: RetryPolicy = { maxAttempts: 2, baseDelayMs: 500, maxDelayMs: 1000 };

export interface HeartbeatAnswer {
  state: string;
  lease_seconds: number;
}

export class RunHeartbeat {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly client: OdooClient,
    private readonly runId: number,
    private readonly logger: Logger,
    private readonly intervalMs = DEFAULT_HEARTBEAT_INTERVAL_MS,
  ) {}

  /** Beat once now (so a resumed run is no longer interrupted), then every interval. */
  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => {
      // A beat still waiting for Odoo is not doubled.
      this.inFlight ??= this.beat().finally(() => {
        this.inFlight = undefined;
      });
    }, this.intervalMs);
    // The heartbeat alone must not keep the process alive.
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  private async beat(): Promise<void> {
    try {
      const answer = await this.client.executeKw<HeartbeatAnswer>(
        RUN_MODEL,
        "heartbeat",
        [[this.runId]],
        {},
        { retry: BEAT_RETRY },
      );
      if (answer.state === "rolled_back") {
        this.logger.error(
          { runId: this.runId, state: answer.state },
          "the run was rolled back in Odoo while this migrate ran; its next batch is refused",
        );
      }
    } catch (error) {
      // Batches show whether Odoo is gone; a missed beat alone only shortens the lease.
      this.logger.warn({ runId: this.runId, err: (error as Error).message }, "heartbeat failed");
    }
  }
}
