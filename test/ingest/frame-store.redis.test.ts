import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Keys } from '../../src/core/keys';
import { FrameStore } from '../../src/ingest/frame-store';
import { REDIS_URL, deletePrefix } from './helpers';

describe('FrameStore pixel SET without the ioredis copy (real Redis)', () => {
  const keys = new Keys(`vigil-test-${randomBytes(4).toString('hex')}`);
  const admin = new Redis(REDIS_URL);
  after(async () => {
    await deletePrefix(admin, keys.prefix);
    admin.disconnect();
  });

  it('stores exact bytes with the TTL, interleaved with other commands on the same connection in one tick', async () => {
    const conn = new Redis(REDIS_URL);
    try {
      const store = new FrameStore(conn, keys);
      const big = randomBytes(640 * 480 * 3);
      const small = Buffer.from('\r\n$3\r\nSET\r\n'); // RESP-looking bytes must travel as data
      const [k1, echo, k2, k3, count] = await Promise.all([
        store.put('c', 1, big, 7),
        conn.echo('between'),
        store.put('c', 2, small, 30),
        store.put('c', 3, Buffer.alloc(0), 30),
        conn.dbsize(),
      ]);
      assert.equal(echo, 'between');
      assert.ok(typeof count === 'number');
      assert.deepEqual(await admin.getBuffer(k1), big);
      assert.deepEqual(await admin.getBuffer(k2), small);
      assert.deepEqual(await admin.getBuffer(k3), Buffer.alloc(0));
      const ttl = await admin.pttl(k1);
      assert.ok(ttl > 6000 && ttl <= 7000, `pttl ${ttl}`);
      assert.equal(k1, keys.frame('c', 1));
    } finally {
      conn.disconnect();
    }
  });

  it('works from the offline queue (written before the connection is up)', async () => {
    const conn = new Redis(REDIS_URL, { lazyConnect: true });
    try {
      const store = new FrameStore(conn, keys);
      const px = randomBytes(100_000);
      assert.equal(conn.status, 'wait');
      const key = await store.put('off', 1, px, 30);
      assert.deepEqual(await admin.getBuffer(key), px);
    } finally {
      conn.disconnect();
    }
  });
});
