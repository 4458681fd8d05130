/**
 * Standard Webhooks (https://www.standardwebhooks.com, spec 1.0.0) symmetric signatures: `webhook-id`,
 * `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed with the bytes
 * of a `whsec_<base64>` secret. Pure: no I/O.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The spec's secret prefix. */
export const SECRET_PREFIX = 'whsec_';
/** The spec: "at least 24 bytes (192 bits, 512 maximum)". */
export const MIN_SECRET_BYTES = 24;
export const MAX_SECRET_BYTES = 64;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The key bytes of a `whsec_<base64>` secret; throws a TypeError (naming the rule, never the secret) when the
 * secret does not have that form or its key is not 24-64 bytes.
 */
export function standardSecretKey(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) {
    throw new TypeError(`must be "${SECRET_PREFIX}" followed by the base64 of ${MIN_SECRET_BYTES}-${MAX_SECRET_BYTES} random bytes`);
  }
  const b64 = secret.slice(SECRET_PREFIX.length);
  if (b64.length % 4 !== 0 || !BASE64.test(b64)) {
    throw new TypeError(`must be "${SECRET_PREFIX}" followed by standard base64 (A-Z a-z 0-9 + /, padded with =)`);
  }
  const key = Buffer.from(b64, 'base64');
  if (key.length < MIN_SECRET_BYTES || key.length > MAX_SECRET_BYTES) {
    throw new TypeError(`the key after "${SECRET_PREFIX}" must decode to ${MIN_SECRET_BYTES}-${MAX_SECRET_BYTES} bytes (got ${key.length})`);
  }
  return key;
}

/**
 * `webhook-id`: the spec wants an id without `.` (the signed content is dot-delimited), so the delivery id
 * `<event id>.<webhook>` is written `<event id>_<webhook>`: still unique per (event, webhook) and the same on
 * every retry.
 */
export function standardWebhookId(deliveryId: string): string {
  return deliveryId.replace(/\./g, '_');
}

/** `v1,<base64 HMAC-SHA256(key, "id.timestamp.body")>`. */
export function standardSignature(secret: string, id: string, timestampS: number, body: string): string {
  const mac = createHmac('sha256', standardSecretKey(secret)).update(`${id}.${timestampS}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The three headers, for one attempt. */
export function standardHeaders(secret: string, deliveryId: string, timestampS: number, body: string): Record<string, string> {
  const id = standardWebhookId(deliveryId);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampS),
    'webhook-signature': standardSignature(secret, id, timestampS, body),
  };
}

/**
 * What a receiver does (tests and docs): the header is a space-separated list of signatures; one `v1,` entry must
 * match, compared in constant time.
 */
export function verifyStandard(secret: string, id: string, timestamp: string, body: string, header: string): boolean {
  if (!/^\d+$/.test(timestamp) || id.length === 0 || id.includes('.')) {
    return false;
  }
  const want = Buffer.from(standardSignature(secret, id, Number(timestamp), body));
  return header.split(' ').some((sig) => {
    const got = Buffer.from(sig);
    return got.length === want.length && timingSafeEqual(got, want);
  });
}
