import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A configured API token (see `server.tokens`). */
export interface ApiToken {
  name: string;
  token: string;
  role: 'viewer' | 'admin';
}

/** Who made a request, once authenticated. */
export interface Principal {
  name: string;
  role: 'viewer' | 'admin';
}

/** The principal used when no token is configured (auth off, loopback only). */
export const ANONYMOUS_ADMIN: Principal = Object.freeze({ name: 'anonymous', role: 'admin' });

/** Extracts the token of an `Authorization: Bearer TOKEN` header; undefined when absent or another scheme. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const h = Array.isArray(header) ? header[0] : header;
  if (typeof h !== 'string') {
    return undefined;
  }
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(h);
  return m ? m[1] : undefined;
}

/** Per-process key: tokens are compared through their HMACs, which always have the same length. */
const COMPARE_KEY = randomBytes(32);

/**
 * Constant-time comparison of two secrets: both are reduced to 32-byte HMAC-SHA256 digests first, so the time taken
 * says nothing about the content or the length of the configured token.
 */
export function sameSecret(a: string, b: string): boolean {
  const da = createHmac('sha256', COMPARE_KEY).update(a).digest();
  const db = createHmac('sha256', COMPARE_KEY).update(b).digest();
  return timingSafeEqual(da, db);
}

/**
 * Pure: finds who holds `token`. With no tokens configured every caller is an anonymous admin (the config schema
 * only allows that on loopback). Undefined = not authenticated.
 */
export function authenticate(tokens: readonly ApiToken[], token: string | undefined): Principal | undefined {
  if (tokens.length === 0) {
    return ANONYMOUS_ADMIN;
  }
  if (token === undefined || token === '') {
    return undefined;
  }
  let found: ApiToken | undefined;
  for (const t of tokens) {
    // Compare against every token, without stopping at a match, so the time taken does not say which one matched.
    const match = sameSecret(t.token, token);
    if (match && found === undefined) {
      found = t;
    }
  }
  return found ? { name: found.name, role: found.role } : undefined;
}

/** Pure: may `principal` use a route that needs `role`? */
export function allowed(principal: Principal, role: 'viewer' | 'admin'): boolean {
  return role === 'viewer' || principal.role === 'admin';
}
