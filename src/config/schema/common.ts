import { z } from 'zod';

/** A fraction of the frame, 0..1. */
export const fraction = z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');
/** A point [x, y] in frame fractions. */
export const point = z.tuple([fraction, fraction], { error: 'must be a point [x, y] of fractions' });
/** Ids of cameras, zones, lines, rules: lowercase, digits, `_` and `-`. */
export const id = z
  .string({ error: 'must be a string' })
  .regex(/^[a-z0-9_-]{1,64}$/, 'must match [a-z0-9_-]{1,64}');
/** Duration in seconds. */
export const seconds = (min = 0, max = 86_400) =>
  z.number({ error: `must be a number between ${min} and ${max}` }).min(min, `must be a number between ${min} and ${max}`).max(max, `must be a number between ${min} and ${max}`);
