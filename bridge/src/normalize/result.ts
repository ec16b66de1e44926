/** Outcome of normalising one raw value: the Odoo-ready value, or the reason it was rejected. */
export type Normalized<T> = { ok: true; value: T } | { ok: false; reason: string };

export function accept<T>(value: T): Normalized<T> {
  return { ok: true, value };
}

export function reject<T = never>(reason: string): Normalized<T> {
  return { ok: false, reason };
}
