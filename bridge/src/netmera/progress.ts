/**
 * Progress lines on standard error for long pulls: the current step, items stored, requests
 * sent, the request rate over the whole run and the retries so far. Counts only: no response
 * data ever goes into a progress line.
 */
export class PullProgress {
  private step = "";
  private stepItems = 0;
  private requests = 0;
  private retries = 0;
  private readonly startedAt = Date.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly intervalMs = 10_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.report(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  beginStep(step: string): void {
    this.step = step;
    this.stepItems = 0;
  }

  endStep(detail: string): void {
    this.out.write(`pull: ${this.step}: ${detail}\n`);
  }

  addItems(count: number): void {
    this.stepItems += count;
  }

  countRequest(): void {
    this.requests += 1;
  }

  countRetry(): void {
    this.retries += 1;
  }

  get totals(): { requests: number; retries: number } {
    return { requests: this.requests, retries: this.retries };
  }

  report(): void {
    const seconds = Math.max(0.001, (Date.now() - this.startedAt) / 1000);
    const rate = (this.requests / seconds).toFixed(1);
    this.out.write(
      `pull: ${this.step}: ${this.stepItems} items | ${this.requests} requests, ${rate} req/s, ${this.retries} retries\n`,
    );
  }
}
