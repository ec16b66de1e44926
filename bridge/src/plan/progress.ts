/** Progress lines on standard error for long phases: rows so far and the rate in rows/s. */
export class Progress {
  private started = Date.now();
  private lastPrinted = 0;
  private phase = "";

  constructor(
    private readonly stream: NodeJS.WritableStream | undefined,
    private readonly intervalMs = 2000,
  ) {}

  start(phase: string): void {
    this.phase = phase;
    this.started = Date.now();
    this.lastPrinted = this.started;
  }

  /** Report the rows done so far; prints at most once per interval. */
  update(rows: number, what = "rows"): void {
    const now = Date.now();
    if (!this.stream || now - this.lastPrinted < this.intervalMs) {
      return;
    }
    this.lastPrinted = now;
    this.stream.write(
      `plan: ${this.phase}: ${rows.toLocaleString("en-US")} ${what} (${this.rate(rows, now)}/s)\n`,
    );
  }

  finish(rows: number): { seconds: number; rowsPerSecond: number } {
    const seconds = (Date.now() - this.started) / 1000;
    const rowsPerSecond = seconds > 0 ? Math.round(rows / seconds) : rows;
    if (this.stream && seconds >= 1) {
      this.stream.write(
        `plan: ${this.phase}: ${rows.toLocaleString("en-US")} rows in ${seconds.toFixed(1)} s ` +
          `(${rowsPerSecond.toLocaleString("en-US")} rows/s)\n`,
      );
    }
    return { seconds, rowsPerSecond };
  }

  private rate(rows: number, now: number): string {
    const seconds = (now - this.started) / 1000;
    return seconds > 0 ? Math.round(rows / seconds).toLocaleString("en-US") : "-";
  }
}
