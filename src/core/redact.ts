/**
 * Removes credentials from anything that may reach a log line, an API answer or a metric label.
 *
 * Two layers:
 * 1. Known secrets. Every camera URL is parsed once, structurally (src/core/source-url.ts), when the config or an API
 *    change is validated; its user information and password (as written and percent-decoded) are registered here and
 *    replaced by `***` wherever they appear, whatever characters they hold (`@ : / %`, spaces): in FFmpeg's stderr,
 *    in a command line, in an error message. Tokens and webhook secrets are registered the same way.
 * 2. Shapes. `scheme://…@` loses everything up to the last `@` before the host (also across spaces, up to 256
 *    characters), and query parameters named like secrets are masked, for URLs this process never registered.
 */
import { displaySourceUrl, parseSourceUrl, sourceSecrets } from './source-url';

const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^/?#\r\n"'<>]{0,256}@/gi;
const SECRET_PARAMS =
  /([?&](?:password|passwd|pwd|pass|token|auth|key|secret|sig|signature|user|username|access_token|api_key|apikey)=)[^&\s#"']*/gi;

/** Secrets shorter than this are only removed by shape: replacing "ab" everywhere would garble every log line. */
export const MIN_SECRET_LENGTH = 4;
/** The registry keeps the newest this many secrets. */
const MAX_SECRETS = 4096;

const secrets = new Map<string, true>();
let pattern: RegExp | undefined;

/** Registers strings to be replaced by `***` in everything redacted from now on (process-wide). */
export function registerSecret(...values: ReadonlyArray<string | undefined>): void {
  let changed = false;
  for (const v of values) {
    if (typeof v !== 'string' || v.length < MIN_SECRET_LENGTH || secrets.has(v)) {
      continue;
    }
    secrets.set(v, true);
    changed = true;
    if (secrets.size > MAX_SECRETS) {
      secrets.delete(secrets.keys().next().value as string);
    }
  }
  if (changed) {
    pattern = undefined;
  }
}

/** Registers the secrets of a camera URL (user information, password, secret query values). */
export function registerUrlSecrets(url: string): void {
  const p = parseSourceUrl(url);
  if (p.ok) {
    registerSecret(...sourceSecrets(p.url));
  }
}

function secretPattern(): RegExp | undefined {
  if (pattern === undefined && secrets.size > 0) {
    // Longest first, so a password inside a registered user information does not leave the user name's tail.
    const alts = [...secrets.keys()].sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    pattern = new RegExp(alts.join('|'), 'g');
  }
  return pattern;
}

/** Returns `text` with every known secret and every URL credential replaced by `***`. */
export function redact(text: string): string {
  let out = text;
  const p = secretPattern();
  if (p !== undefined) {
    out = out.replace(p, '***');
  }
  if (out.includes('://')) {
    out = out.replace(URL_USERINFO, '$1***@');
  }
  if (out.includes('=')) {
    out = out.replace(SECRET_PARAMS, '$1***');
  }
  return out;
}

/** A camera URL as it may be shown: parsed structurally, credentials and secret query values replaced by `***`. */
export function redactUrl(url: string): string {
  const p = parseSourceUrl(url);
  return p.ok ? redact(displaySourceUrl(p.url)) : redact(url);
}

/**
 * Redacts every string inside a value (objects, arrays, errors) for a log line. Errors become plain objects with
 * their type, message, code and stack, so a cause is not lost on the way. Cycles and depth are bounded.
 */
export function redactDeep(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') {
    return redact(value);
  }
  if (value === null || typeof value !== 'object') {
    return value;
  }
  if (seen.has(value) || depth > 8) {
    return '[…]';
  }
  seen.add(value);
  if (value instanceof Error) {
    const e = value as Error & { code?: unknown; cause?: unknown };
    const out: Record<string, unknown> = { type: e.name, message: redact(e.message) };
    if (e.code !== undefined) {
      out.code = redactDeep(e.code, depth + 1, seen);
    }
    if (e.stack) {
      out.stack = redact(e.stack);
    }
    if (e.cause !== undefined) {
      out.cause = redactDeep(e.cause, depth + 1, seen);
    }
    return out;
  }
  if (Array.isArray(value)) {
    return value.map((v) => redactDeep(v, depth + 1, seen));
  }
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) {
    return `[${value.byteLength} bytes]`;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return redactDeep((value as { toJSON(): unknown }).toJSON(), depth + 1, seen);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = redactDeep(v, depth + 1, seen);
  }
  return out;
}
