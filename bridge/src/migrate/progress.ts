/**
 * Progress of a phase on standard error: a redrawn bar when that is a terminal, otherwise one
 * plain line at a fixed interval (logs and CI output stay readable).
 */

export interface ProgressOptions {
  stream: NodeJS.WritableStream;
  /** Seconds between plain lines when the stream is not a terminal. */
  lineIntervalMs?: number;
  now?: () => number;
}

export class PhaseProgress {
  private readonly stream: NodeJS.WritableStream;
  private readonly tty: boolean;
  private readonly lineIntervalMs: number;
  private readonly now: () => number;
  private phase = "";
  private total = 0;
  private done = 0;
  /** Rows already committed by an earlier attempt; they do not count towards the rate. */
  private resumed = 0;
  private startedAt = 0;
  private lastDrawAt = 0;

  constructor(options: ProgressOptions) {
    this.stream = options.stream;
    this.tty = Boolean((options.stream as { isTTY?: boolean }).isTTY);
    this.lineIntervalMs = options.lineIntervalMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  start(phase: string, total: number): void {
    this.phase = phase;
    this.total = total;
    this.done = 0;
    this.resumed = 0;
    this.startedAt = this.now();
    this.lastDrawAt = this.startedAt;
  }

  /** Count rows that committed before this process started (skipped batches). */
  skip(rows: number): void {
    this.done += rows;
    this.resumed += rows;
  }

  advance(rows: number): void {
    this.done += rows;
    const now = this.now();
    const interval = this.tty ? 200 : this.lineIntervalMs;
    if (now - this.lastDrawAt < interval) return;

    this.lastDrawAt = now;
    this.draw(false);
  }

  finish(): void {
    this.draw(true);
  }

  /** Rows of the current phase done so far, those of earlier attempts included. */
  get doneRows(): number {
    return this.done;
  }

  /** Rows per second written by this process in the current phase. */
  rate(): number {
    const seconds = (this.now() - this.startedAt) / 1000;
    return seconds > 0 ? (this.done - this.resumed) / seconds : 0;
  }

  private draw(final: boolean): void {
    const rate = this.rate();
    const left = this.total - this.done;
    const eta = final ? "done" : rate > 0 ? `ETA ${formatDuration(left / rate)}` : "ETA –";
    const percent = this.total > 0 ? Math.floor((this.done / this.total) * 100) : 100;
    const counts = `${this.done}/${this.total} rows (${percent}%), ${Math.round(rate)} rows/s, ${eta}`;
    if (!this.tty) {
      this.stream.write(`${this.phase}: ${counts}\n`);
      return;
    }

    const width = 24;
    const filled = Math.round((percent / 100) * width);
    const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
    this.stream.write(`\r\x1b[2K${this.phase.padEnd(10)} ${bar} ${counts}${final ? "\n" : ""}`);
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "–";

  const whole = Math.max(0, Math.round(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = whole % 60;
  if (hours > 0) return `${hours}h${String(minutes).padStart(2, "0")}m`;
  if (minutes > 0) return `${minutes}m${String(rest).padStart(2, "0")}s`;
  return `${rest}s`;
}
