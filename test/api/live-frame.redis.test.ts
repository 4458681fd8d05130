import assert from 'node:assert/strict';
import Redis from 'ioredis';
import type { FastifyInstance } from 'fastify';
import { AlertStore } from '../../src/alerts';
import { buildServer } from '../../src/api/server';
import { startIngest, type IngestHandle } from '../../src/ingest';
import { testContext as ingestContext } from '../ingest/helpers';
import type { Context } from '../../src/config/context';
import { purgePrefix, REDIS_URL, VTEST, waitFor } from '../helpers';

/**
 * frame.jpg for a camera that nothing detects or tracks (no detector loaded, no track process): the process that
 * ingests it writes plain live frames while someone watches, so the api process still answers 200.
 */
describe('frame.jpg without a detector or tracker @integration', function () {
  this.timeout(60_000);
  let ingestCtx: Context;
  let ingest: IngestHandle;
  let app: FastifyInstance;
  let redis: Redis;

  before(async () => {
    ingestCtx = ingestContext([{ id: 'lobby', url: VTEST, detect: { fps: 5, width: 320 } }]);
    ingest = await startIngest(ingestCtx);
    redis = new Redis(REDIS_URL);
    app = await buildServer(ingestCtx, { redis, store: new AlertStore(redis, ingestCtx.keys) });
  });

  after(async () => {
    await app?.close();
    await ingest?.close();
    await ingestCtx?.closeConnections();
    await purgePrefix(redis, ingestCtx.keys.prefix);
    redis.disconnect();
  });

  it('answers 20 of 20 tries with a plain JPEG of the streaming camera, written only while watched', async () => {
    await waitFor(async () => (await redis.hget(ingestCtx.keys.cameraStatus('lobby'), 'state')) === 'streaming', 20_000, 'streaming');
    // Nobody watched yet: nothing written.
    assert.equal(await redis.exists(ingestCtx.keys.liveRawFrame('lobby')), 0);
    for (let i = 0; i < 20; i++) {
      const res = await app.inject({ url: '/api/cameras/lobby/frame.jpg' });
      assert.equal(res.statusCode, 200, `try ${i + 1}: ${res.body.slice(0, 200)}`);
      assert.equal(res.headers['content-type'], 'image/jpeg');
      assert.deepEqual([res.rawPayload[0], res.rawPayload[1]], [0xff, 0xd8]);
      await new Promise((r) => setTimeout(r, 150)); // paces the tries
    }
    assert.ok((await redis.pttl(ingestCtx.keys.liveRawFrame('lobby'))) > 0, 'kept with a short TTL');
    assert.equal((await app.inject({ url: '/api/cameras/nosuch/frame.jpg' })).statusCode, 404);
  });
});
