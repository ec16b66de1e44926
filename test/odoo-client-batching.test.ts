import { describe, expect, it } from "vitest";
import { batchItems, runPool, type Batch } from "../bridge/src/odoo/batching.js";

async function collect<T>(source: AsyncIterable<Batch<T>>): Promise<Batch<T>[]> {
  const batches: Batch<T>[] = [];
  for await (const batch of source) batches.push(batch);
  return batches;
}

function sized(sizes: number[]): { item: number; bytes: number }[] {
  return sizes.map((bytes, index) => ({ item: index, bytes }));
}

describe("batchItems", () => {
  it("cuts batches at the row limit", async () => {
    const batches = await collect(
      batchItems(sized(Array(7).fill(10)), { maxRows: 3, maxBytes: 1e6 }),
    );

    expect(batches.map((batch) => batch.no)).toEqual([1, 2, 3]);
    expect(batches.map((batch) => batch.items)).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(batches.map((batch) => batch.bytes)).toEqual([30, 30, 10]);
  });

  it("cuts batches before the byte limit is passed", async () => {
    const batches = await collect(
      batchItems(sized([40, 40, 30, 50, 10, 10]), { maxRows: 100, maxBytes: 100 }),
    );

    expect(batches.map((batch) => batch.items)).toEqual([
      [0, 1],
      [2, 3, 4, 5],
    ]);
    expect(batches.map((batch) => batch.bytes)).toEqual([80, 100]);
  });

  it("gives a row larger than the byte limit a batch of its own", async () => {
    const batches = await collect(
      batchItems(sized([10, 500, 10]), { maxRows: 100, maxBytes: 100 }),
    );

    expect(batches.map((batch) => batch.items)).toEqual([[0], [1], [2]]);
  });

  it("numbers batches the same way on every pass", async () => {
    const sizes = Array.from({ length: 1000 }, (_, index) => (index * 7919) % 300);
    const limits = { maxRows: 37, maxBytes: 4000 };
    const first = await collect(batchItems(sized(sizes), limits));
    const second = await collect(batchItems(sized(sizes), limits));

    expect(second).toEqual(first);
    expect(first.flatMap((batch) => batch.items)).toEqual(sizes.map((_, index) => index));
  });

  it("yields nothing for no rows", async () => {
    expect(await collect(batchItems([], { maxRows: 5, maxBytes: 5 }))).toEqual([]);
  });

  it("rejects limits below one", async () => {
    await expect(collect(batchItems(sized([1]), { maxRows: 0, maxBytes: 5 }))).rejects.toThrow(
      RangeError,
    );
  });
});

describe("runPool", () => {
  it("keeps at most the given number of calls in flight", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const done: number[] = [];
    await runPool(
      Array.from({ length: 20 }, (_, index) => index),
      3,
      async (item) => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 2 + (item % 4)));
        inFlight -= 1;
        done.push(item);
      },
    );

    expect(maxInFlight).toBe(3);
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, index) => index));
  });

  it("reads the next item only when a slot frees", async () => {
    let read = 0;
    let finished = 0;
    const aheadAtRead: number[] = [];
    async function* items(): AsyncGenerator<number> {
      for (let index = 0; index < 10; index += 1) {
        aheadAtRead.push(read - finished);
        read += 1;
        yield index;
      }
    }

    await runPool(items(), 2, async () => {
      await new Promise((resolve) => setTimeout(resolve, 2));
      finished += 1;
    });

    // Items read but not finished never exceed the two slots.
    expect(Math.max(...aheadAtRead)).toBeLessThanOrEqual(2);
    expect(finished).toBe(10);
  });

  it("starts nothing new after a failure and throws the first error", async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const pool = runPool(
      Array.from({ length: 50 }, (_, index) => index),
      2,
      async (item) => {
        started.push(item);
        if (item === 3) throw new Error("batch 3 failed");
        await new Promise((resolve) => setTimeout(resolve, 5));
        finished.push(item);
      },
    );

    await expect(pool).rejects.toThrow("batch 3 failed");
    expect(Math.max(...started)).toBeLessThanOrEqual(4);
    expect(finished).toContain(2);
  });

  it("rejects a concurrency below one", async () => {
    await expect(runPool([1], 0, async () => {})).rejects.toThrow(RangeError);
  });
});
