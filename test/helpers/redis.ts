import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { purgePrefix } from '../../src/core/purge';

/**
 * The shared Redis of the integration tests (`VIGIL_TEST_REDIS_URL`, default the local one). Each test works under a
 * key prefix of its own and deletes it when done; nothing else is touched (never FLUSHALL).
 */
export const REDIS_URL = process.env.VIGIL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export { purgePrefix };
export { RedisTestServer } from '../../src/testing/redis-server';

/** A fresh key prefix, `vigil-test-<8 hex>`. */
export function testPrefix(): string {
  return `vigil-test-${randomBytes(4).toString('hex')}`;
}

/** Deletes every key of `prefix` over a connection of its own (SCAN, not KEYS). */
export async function purge(prefix: string, url = REDIS_URL): Promise<void> {
  const r = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    await purgePrefix(r, prefix);
  } finally {
    r.disconnect();
  }
}
