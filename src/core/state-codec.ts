/**
 * Building blocks for the saved engine state (tracker, rules, alert lifecycle): zod schemas that check a saved
 * value where it is read, and the encoding of Maps (entry arrays, in insertion order, since iteration order can
 * decide ties). Numbers are plain JSON numbers: JSON.stringify writes the shortest text that parses back to the same
 * double, so a round trip is exact; non-finite numbers are not valid state.
 */
import { z } from 'zod';

/** A finite number. */
export const num = z.number();
/** An integer. */
export const int = z.number().int();
/** A point or a box's corner pair as saved. */
export const point = z.tuple([num, num]);
/** A box [x1, y1, x2, y2]. */
export const box = z.tuple([num, num, num, num]);

/** A Map saved as its entries, in order. */
export function mapOf<K extends z.ZodType, V extends z.ZodType>(key: K, value: V) {
  return z
    .array(z.tuple([key, value]))
    .transform((entries) => new Map<z.output<K>, z.output<V>>(entries as Array<[z.output<K>, z.output<V>]>));
}

/** A Map's entries (the saved form read back by {@link mapOf}), values mapped through `f`. */
export function entries<K, V, O = V>(m: ReadonlyMap<K, V>, f?: (v: V) => O): Array<[K, O]> {
  return [...m].map(([k, v]) => [k, f ? f(v) : (v as unknown as O)]);
}

/**
 * Thrown when a saved state cannot be restored (damaged, another version, another camera): the caller falls back to
 * a fresh engine and says why.
 */
export class StateError extends Error {
  override readonly name = 'StateError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Parses `value` with `schema`, or throws a {@link StateError} naming `what` and the first problem. */
export function parseState<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const at = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
    throw new StateError(`${what}: ${issue?.message ?? 'invalid'}${at}`, { cause: r.error });
  }
  return r.data;
}
