import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { acquireLease, releaseLease, renewLease } from '../../src/core/lease';

describe('lease (real Redis)', () => {
  const redis = new Redis(process.env.VIGIL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
  const key = `vigil-test-${randomBytes(4).toString('hex')}:lease:ingest:cam`;
  afterEach(async () => {
    await redis.del(key);
  });
  after(() => redis.disconnect());

  it('gives the lease to one owner at a time', async () => {
    assert.equal(await acquireLease(redis, key, 'a', 5000), true);
    assert.equal(await acquireLease(redis, key, 'b', 5000), false);
    assert.equal(await acquireLease(redis, key, 'a', 5000), true, 'the owner may take it again (renewal)');
  });
  it('renews only for the owner', async () => {
    await acquireLease(redis, key, 'a', 200);
    assert.equal(await renewLease(redis, key, 'b', 5000), false);
    assert.equal(await renewLease(redis, key, 'a', 5000), true);
    assert.ok((await redis.pttl(key)) > 1000);
  });
  it('expires when the owner stops renewing, then another owner takes it', async () => {
    await acquireLease(redis, key, 'a', 100);
    await new Promise((r) => setTimeout(r, 250));
    assert.equal(await acquireLease(redis, key, 'b', 5000), true);
    assert.equal(await renewLease(redis, key, 'a', 5000), false, 'the old owner learns it lost the lease');
  });
  it('releases only for the owner', async () => {
    await acquireLease(redis, key, 'a', 5000);
    await releaseLease(redis, key, 'b');
    assert.equal(await redis.get(key), 'a');
    await releaseLease(redis, key, 'a');
    assert.equal(await redis.exists(key), 0);
  });
});
