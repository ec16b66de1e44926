import { createHash } from "node:crypto";

/**
 * Deterministic pseudo-random numbers (sfc32). Every user gets its own generator seeded from
 * (seed, stream, index), so any user can be produced again on its own, in any order, without
 * keeping earlier users in memory.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string | number, stream = "", index = 0) {
    const digest = createHash("sha256").update(`${seed}\u0000${stream}\u0000${index}`).digest();
    this.a = digest.readUInt32LE(0);
    this.b = digest.readUInt32LE(4);
    this.c = digest.readUInt32LE(8);
    this.d = digest.readUInt32LE(12);
    for (let i = 0; i < 12; i += 1) {
      this.next();
    }
  }

  /** Return a float in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** Return an integer in [min, max], both ends included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) {
      throw new Error("pick() needs a non-empty list");
    }
    return item;
  }

  /** Up to `count` distinct items, in list order. */
  sample<T>(items: readonly T[], count: number): T[] {
    const chosen = new Set<number>();
    const wanted = Math.min(count, items.length);
    while (chosen.size < wanted) {
      chosen.add(Math.floor(this.next() * items.length));
    }
    return [...chosen].sort((x, y) => x - y).map((i) => items[i] as T);
  }

  /** Lowercase hex string of `length` characters. */
  hex(length: number): string {
    let text = "";
    while (text.length < length) {
      text += Math.floor(this.next() * 4294967296)
        .toString(16)
        .padStart(8, "0");
    }
    return text.slice(0, length);
  }
}
