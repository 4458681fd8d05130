/**
 * Pure: Redis stream ids (`ms-seq`, both parts unsigned 64-bit numbers). Every comparison of stream ids in Vigil
 * goes through {@link compareStreamIds}, which stays exact beyond 2^53.
 */

/** Both parts of a Redis stream id are unsigned 64-bit numbers. */
const U64_MAX = '18446744073709551615';
const STREAM_ID = /^\d{1,20}-\d{1,20}$/;

/** Pure: is a string of 1..20 digits within 64 bits? */
function fitsU64(digits: string): boolean {
  const d = digits.replace(/^0+(?=\d)/, '');
  return d.length < 20 || (d.length === 20 && d <= U64_MAX);
}

/**
 * Is `x` a stream id (`ms-seq`, both parts within 64 bits, as Redis requires) or one of the "from the start" ids
 * `0` / `0-0`? The largest id is refused too: nothing can follow it.
 */
export function isStreamId(x: string): boolean {
  if (x === '0') {
    return true;
  }
  if (!STREAM_ID.test(x)) {
    return false;
  }
  const [ms, seq] = x.split('-');
  return fitsU64(ms) && fitsU64(seq) && compareStreamIds(x, `${U64_MAX}-${U64_MAX}`) < 0;
}

/** Orders two stream ids (`ms-seq`; `0` = `0-0`) exactly, also beyond 2^53. Hot path: no regex, no split. */
export function compareStreamIds(a: string, b: string): number {
  if (a === b) {
    return 0;
  }
  const ia = a.indexOf('-');
  const ib = b.indexOf('-');
  const am = ia < 0 ? a : a.slice(0, ia);
  const bm = ib < 0 ? b : b.slice(0, ib);
  const c = cmpDigits(am, bm);
  if (c !== 0) {
    return c;
  }
  return cmpDigits(ia < 0 ? '0' : a.slice(ia + 1), ib < 0 ? '0' : b.slice(ib + 1));
}

function cmpDigits(x: string, y: string): number {
  if (x.length <= 15 && y.length <= 15) {
    return Number(x) - Number(y);
  }
  const xs = x.replace(/^0+(?=\d)/, '');
  const ys = y.replace(/^0+(?=\d)/, '');
  if (xs.length !== ys.length) {
    return xs.length < ys.length ? -1 : 1;
  }
  return xs < ys ? -1 : xs > ys ? 1 : 0;
}

/** The smallest stream id after `id` (for exclusive bounds). */
export function nextStreamId(id: string): string {
  const [ms, seq] = id.split('-');
  return `${ms}-${(BigInt(seq ?? 0) + 1n).toString()}`;
}

/** The stream id just before `id` (XREAD after it returns `id` itself first). */
export function streamIdBefore(id: string): string {
  const [ms, seq] = id.split('-');
  if (seq !== undefined && seq !== '0') {
    return `${ms}-${(BigInt(seq) - 1n).toString()}`;
  }
  const m = BigInt(ms);
  return m > 0n ? `${(m - 1n).toString()}-18446744073709551615` : '0-0';
}
