/**
 * Batching of plan rows for `import_batch` and a bounded pool that keeps several batches in
 * flight. Batch numbers depend only on the row order and the two limits, so the same plan with
 * the same settings always gives the same batches: that is what makes resuming by batch number
 * safe.
 */

export interface BatchLimits {
  /** Rows in one batch at most. */
  maxRows: number;
  /** Bytes of plan JSON in one batch at most; a single larger row forms a batch of its own. */
  maxBytes: number;
}

/**
 * Default batch limits. On Odoo 18 with 2 shared cores a batch of 500 contacts with tags took
 * 3 to 4 s in the addon (scripts/bench-migrate.ts), far inside Odoo's 120 s `limit_time_real`.
 * The 2 MB cap keeps rows with long texts from building one request of hundreds of megabytes.
 */
export const DEFAULT_BATCH_LIMITS: BatchLimits = { maxRows: 500, maxBytes: 2_000_000 };

export interface SizedItem<T> {
  item: T;
  bytes: number;
}

export interface Batch<T> {
  /** 1-based position of the batch in its phase. */
  no: number;
  items: T[];
  bytes: number;
}

/** Group items into batches that respect both limits, numbered from 1 in input order. */
export async function* batchItems<T>(
  items: AsyncIterable<SizedItem<T>> | Iterable<SizedItem<T>>,
  limits: BatchLimits,
): AsyncGenerator<Batch<T>> {
  if (!(limits.maxRows >= 1) || !(limits.maxBytes >= 1)) {
    throw new RangeError(`batch limits must be at least 1 (got ${JSON.stringify(limits)})`);
  }

  let no = 1;
  let current: T[] = [];
  let bytes = 0;
  for await (const { item, bytes: size } of items) {
    const full = current.length >= limits.maxRows || bytes + size > limits.maxBytes;
    if (current.length > 0 && full) {
      yield { no, items: current, bytes };
      no += 1;
      current = [];
      bytes = 0;
    }

    current.push(item);
    bytes += size;
  }

  if (current.length > 0) {
    yield { no, items: current, bytes };
  }
}

/**
 * Run `worker` on each item with at most `concurrency` calls in flight. The next item is read
 * only when a slot frees, so memory holds `concurrency` batches at most. After the first failure
 * no new item starts, the calls in flight finish, and the first error is thrown.
 */
export async function runPool<T>(
  items: AsyncIterable<T> | Iterable<T>,
  concurrency: number,
  worker: (item: T) => Promise<void>,
): Promise<void> {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a whole number of at least 1 (got ${concurrency})`);
  }

  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;

  for await (const item of items) {
    if (failure) break;

    const task = worker(item).then(
      () => {
        running.delete(task);
      },
      (error: unknown) => {
        running.delete(task);
        failure ??= { error };
      },
    );
    running.add(task);
    if (running.size >= concurrency) {
      await Promise.race(running);
    }

    if (failure) break;
  }

  await Promise.all(running);
  if (failure) {
    throw failure.error;
  }
}
