import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { registerSecret } from '../../core/redact';

const LOOPBACK: readonly string[] = ['127.0.0.1', 'localhost', '::1'];

/** Is `host` one of the loopback listeners allowed without tokens (127.0.0.1, ::1, localhost)? Anything else counts as beyond loopback. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.includes(host);
}

/** Tokens go in an `Authorization: Bearer` header: visible ASCII only, no spaces. */
const TOKEN_RE = /^[\x21-\x7e]+$/;

/** Reads a small secret or certificate file; throws a message naming why not. */
function readSmallFile(file: string, maxBytes: number): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (text.length > maxBytes) {
    throw new Error(`${file} is larger than ${maxBytes} bytes`);
  }
  return text;
}

export const tokenSchema = z
  .strictObject({
    /** Who holds the token (shown in logs and the audit trail; the token itself never is). */
    name: z.string().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
    /** The secret, at least 16 visible ASCII characters, no spaces (or use tokenFile). */
    token: z.string().min(16, 'must be at least 16 characters').max(4096).regex(TOKEN_RE, 'must be visible ASCII characters without spaces').optional(),
    /** File holding the token (one line; a trailing newline is ignored), so the secret stays out of the YAML; re-read on reload. */
    tokenFile: z.string().min(1).optional(),
    role: z.enum(['viewer', 'admin']).default('viewer'),
  })
  .transform((t, ctx) => {
    let token = t.token;
    if ((t.token === undefined) === (t.tokenFile === undefined)) {
      ctx.issues.push({ code: 'custom', path: ['token'], message: 'give either token or tokenFile', input: t });
      return z.NEVER;
    }
    if (t.tokenFile !== undefined) {
      try {
        token = readSmallFile(t.tokenFile, 4096).replace(/\r?\n$/, '');
      } catch (err) {
        ctx.issues.push({ code: 'custom', path: ['tokenFile'], message: (err as Error).message, input: t.tokenFile });
        return z.NEVER;
      }
      if (token.length < 16 || !TOKEN_RE.test(token)) {
        ctx.issues.push({
          code: 'custom',
          path: ['tokenFile'],
          message: `${t.tokenFile} must hold one token of at least 16 visible ASCII characters without spaces`,
          input: t.tokenFile,
        });
        return z.NEVER;
      }
    }
    registerSecret(token);
    return { name: t.name, token: token!, role: t.role };
  });

/** `server.tls`: HTTPS and WSS on the same port. */
export const tlsSchema = z
  .strictObject({
    /** PEM certificate (chain) file. */
    cert: z.string().min(1),
    /** PEM private key file (unencrypted). */
    key: z.string().min(1),
  })
  .superRefine((tls, ctx) => {
    let cert: X509Certificate | undefined;
    try {
      cert = new X509Certificate(readSmallFile(tls.cert, 1024 * 1024));
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['cert'], message: /cannot read|larger/.test((err as Error).message) ? (err as Error).message : `${tls.cert} is not a PEM certificate` });
    }
    try {
      const key = createPrivateKey(readSmallFile(tls.key, 1024 * 1024));
      if (cert && !cert.checkPrivateKey(key)) {
        ctx.addIssue({ code: 'custom', path: ['key'], message: `${tls.key} is not the private key of ${tls.cert}` });
      }
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['key'], message: /cannot read|larger/.test((err as Error).message) ? (err as Error).message : `${tls.key} is not an unencrypted PEM private key` });
    }
  });

/** `server:` section: HTTP API, WebSocket and dashboard on one port. */
export const serverSchema = z
  .strictObject({
    /** Interface to listen on. Without tokens only loopback is allowed. A reload cannot change it. @defaultValue 127.0.0.1 */
    host: z.string().min(1).max(255).default('127.0.0.1'),
    /** TCP port; 0 picks a free one. A reload cannot change it. @defaultValue 8080 */
    port: z.number().int().min(0, 'must be a port number 0..65535').max(65535, 'must be a port number 0..65535').default(8080),
    tokens: z.array(tokenSchema).default([]),
    /** HTTPS (and WSS) with this certificate and key; a reload cannot switch it on, off or to other files. */
    tls: tlsSchema.optional(),
    /** Largest HTTP body accepted, bytes. @defaultValue 8 MiB */
    bodyLimitBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(8 * 1024 * 1024),
    /** Largest WebSocket message accepted from a client, bytes (bigger: close 1009). @defaultValue 64 KiB */
    wsMaxMessageBytes: z.number().int().min(256).max(16 * 1024 * 1024).default(64 * 1024),
    /** A client whose unsent data exceeds this is cut off. @defaultValue 4 MiB */
    wsMaxBufferedBytes: z.number().int().min(16 * 1024).max(1024 * 1024 * 1024).default(4 * 1024 * 1024),
    /** Ping interval; a client that misses a pong is dropped. @defaultValue 30 */
    wsPingIntervalS: z.number().min(1).max(600).default(30),
    authFailures: z
      .strictObject({
        /** Failed authentications an address may make at once before it gets 429 for every request needing a token. @defaultValue 10 */
        burst: z.number().int().min(1).max(1_000_000).default(10),
        /** Failed authentications per minute an address earns back. @defaultValue 10 */
        perMinute: z.number().min(0.1).max(1_000_000).default(10),
      })
      .prefault({}),
    audit: z
      .strictObject({
        /** Audit entries kept in Redis (the oldest are trimmed; every entry is also a log line). @defaultValue 10000 */
        maxEntries: z.number().int().min(100).max(10_000_000).default(10_000),
      })
      .prefault({}),
  })
  .prefault({});
export type ServerConfig = z.infer<typeof serverSchema>;
