/**
 * Pure: HTTP `Range: bytes=...` requests against a file of known size (RFC 9110 §14). One range is served as 206;
 * several ranges, another unit or a `If-Range` that does not match are answered with the whole file (200), which the
 * RFC allows; a bytes range that is malformed or starts beyond the end is 416 with `Content-Range: bytes * /SIZE`.
 */

/** What to answer. `start`/`end` are inclusive byte offsets. */
export type RangeAnswer = { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

/** Reads a Range header for a file of `size` bytes. */
export function parseRange(header: string | undefined, size: number): RangeAnswer {
  if (header === undefined) {
    return { kind: 'full' };
  }
  const m = /^\s*bytes\s*=\s*(.*)$/i.exec(header);
  if (!m) {
    // Another unit (or no unit): ignored, the whole representation is sent.
    return { kind: 'full' };
  }
  const specs = m[1].split(',').map((s) => s.trim());
  if (specs.length > 1) {
    return specs.every((s) => /^(\d+-\d*|-\d+)$/.test(s)) ? { kind: 'full' } : { kind: 'unsatisfiable' };
  }
  const spec = specs[0];
  const r = /^(\d*)-(\d*)$/.exec(spec);
  if (!r || (r[1] === '' && r[2] === '') || spec.length > 40) {
    return { kind: 'unsatisfiable' };
  }
  if (r[1] === '') {
    // Suffix: the last N bytes.
    const n = Number(r[2]);
    if (n === 0 || size === 0) {
      return { kind: 'unsatisfiable' };
    }
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(r[1]);
  const end = r[2] === '' ? size - 1 : Math.min(Number(r[2]), size - 1);
  if (!Number.isSafeInteger(start) || start >= size || (r[2] !== '' && Number(r[2]) < start)) {
    return { kind: 'unsatisfiable' };
  }
  return { kind: 'partial', start, end };
}
