/**
 * Pure: strict parsing of query parameters. Numbers are plain decimal digits (no `0x10`, `+5`, `1e3`, `1.0`),
 * a parameter given twice is an error, and unknown parameters are named. Every problem is a VigilError
 * `bad_request` naming the parameter.
 */
import { VigilError } from '../core/errors';

/** Redis stream ids are two unsigned 64-bit numbers. */
const U64_MAX = 18446744073709551615n;

function single(v: unknown, name: string): string | undefined {
  if (v === undefined) {
    return undefined;
  }
  if (Array.isArray(v)) {
    throw new VigilError('bad_request', `${name}: given more than once`);
  }
  if (typeof v !== 'string') {
    throw new VigilError('bad_request', `${name}: must be a single value`);
  }
  return v === '' ? undefined : v;
}

/** An integer in [min, max] written in decimal digits, or undefined when absent/empty. */
export function parseIntParam(v: unknown, name: string, min: number, max: number): number | undefined {
  const s = single(v, name);
  if (s === undefined) {
    return undefined;
  }
  if (!/^\d{1,15}$/.test(s) || Number(s) < min || Number(s) > max) {
    throw new VigilError('bad_request', `${name}: must be an integer between ${min} and ${max}`);
  }
  return Number(s);
}

/** Pure: is `s` a Redis stream id `ms-seq` (or `ms`) with both parts within 64 bits? */
export function isStreamId(s: string): boolean {
  const m = /^(\d{1,20})(?:-(\d{1,20}))?$/.exec(s);
  return m !== null && BigInt(m[1]) <= U64_MAX && (m[2] === undefined || BigInt(m[2]) <= U64_MAX);
}

/** A stream id parameter, or undefined when absent/empty. */
export function parseStreamIdParam(v: unknown, name: string): string | undefined {
  const s = single(v, name);
  if (s === undefined) {
    return undefined;
  }
  if (!/^\d{1,20}-\d{1,20}$/.test(s) || !isStreamId(s)) {
    throw new VigilError('bad_request', `${name}: must be an id like "1700000000000-0"`);
  }
  return s;
}

/** An id parameter `[a-z0-9_-]{1,64}`, or undefined when absent/empty. */
export function parseIdParam(v: unknown, name: string): string | undefined {
  const s = single(v, name);
  if (s === undefined) {
    return undefined;
  }
  if (!/^[a-z0-9_-]{1,64}$/.test(s)) {
    throw new VigilError('bad_request', `${name}: must match [a-z0-9_-]{1,64}`);
  }
  return s;
}

/** ISO 8601 date-time (`2024-01-02T03:04:05Z`, fractions and offsets allowed) or a date (`2024-01-02`). */
const ISO = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]([01]\d|2[0-3]):?[0-5]\d)?)?$/;

/** Pure: is `s` a strict ISO 8601 time that Date understands? */
export function isIsoTime(s: string): boolean {
  return ISO.test(s) && Number.isFinite(Date.parse(s));
}

/** Names any parameter not in `known`. */
export function rejectUnknownParams(q: Record<string, unknown>, known: readonly string[]): void {
  for (const k of Object.keys(q)) {
    if (!known.includes(k)) {
      throw new VigilError('bad_request', `${k.slice(0, 40)}: unknown query parameter (known: ${known.join(', ') || 'none'})`);
    }
  }
}
