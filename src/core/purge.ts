import type Redis from 'ioredis';

/**
 * Deletes every key under `prefix:` (benchmarks and tests run on a random prefix and clean up with this).
 * SCAN, not KEYS, so a large Redis is never blocked.
 */
export async function purgePrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) {
      deleted += await redis.del(...keys);
    }
  } while (cursor !== '0');
  return deleted;
}
