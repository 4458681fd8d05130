import type Redis from 'ioredis';

/**
 * A Redis lease: one process owns a resource (a camera's tracker, a camera's ingest) at a time. The owner renews
 * it; when the owner dies the key expires and another process takes over within `ttlMs`.
 */
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/** Tries to take the lease; true when this owner holds it now. */
export async function acquireLease(redis: Redis, key: string, owner: string, ttlMs: number): Promise<boolean> {
  const ok = await redis.set(key, owner, 'PX', ttlMs, 'NX');
  if (ok === 'OK') {
    return true;
  }
  return (await redis.eval(RENEW, 1, key, owner, String(ttlMs))) === 1;
}

/** Extends the lease; false when it was lost (expired and taken by another owner). */
export async function renewLease(redis: Redis, key: string, owner: string, ttlMs: number): Promise<boolean> {
  return (await redis.eval(RENEW, 1, key, owner, String(ttlMs))) === 1;
}

/** Gives the lease back (only if still held by `owner`). */
export async function releaseLease(redis: Redis, key: string, owner: string): Promise<void> {
  await redis.eval(RELEASE, 1, key, owner);
}
