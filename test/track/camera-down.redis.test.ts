import assert from 'node:assert/strict';
import Redis from 'ioredis';
import sharp from 'sharp';
import { AlertStore } from '../../src/alerts';
import { configSchema } from '../../src/config/schema';
import { Context, type StageHandle } from '../../src/config/context';
import { Keys } from '../../src/core/keys';
import { nullLogger } from '../../src/core/logger';
import type { CameraStateMessage, DetectionResult } from '../../src/core/types';
import { start } from '../../src/track';
import { purgePrefix, REDIS_URL, testPrefix, waitFor } from '../helpers';

/**
 * camera_down alerts carry the camera's last frame when its tracker saw one, and no snapshot field when it never did
 * (before, they carried a snapshot REDIS_URL that answered 404).
 */
describe('camera_down snapshots (Redis)', function () {
  this.timeout(30_000);
  const prefix = testPrefix();
  const keys = new Keys(prefix);
  const redis = new Redis(REDIS_URL);
  let ctx: Context;
  let stage: StageHandle;

  after(async () => {
    await stage?.close().catch(() => undefined);
    await ctx?.closeConnections();
    await purgePrefix(redis, prefix);
    redis.disconnect();
  });

  it('stores the last frame seen as the snapshot, or names none', async () => {
    ctx = new Context(
      configSchema.parse({
        redis: { url: REDIS_URL, prefix },
        cameras: [
          { id: 'seen', url: '/dev/null' },
          { id: 'never', url: '/dev/null' },
        ],
        rules: [
          { id: 'down-seen', type: 'camera_down', camera: 'seen', seconds: 1 },
          { id: 'down-never', type: 'camera_down', camera: 'never', seconds: 1 },
        ],
      }),
      nullLogger(),
      new Set(['track']),
      { defaultMetrics: false },
    );
    stage = await start(ctx);
    // A few frames of `seen`, with their pixels in Redis (a detect process elsewhere): mid-grey.
    const width = 64;
    const height = 48;
    for (let seq = 0; seq < 3; seq++) {
      const frameKey = keys.frame('seen', seq);
      await redis.set(frameKey, Buffer.alloc(width * height * 3, 128), 'PX', 30_000);
      const r: DetectionResult = {
        camera: 'seen', seq, frameKey, width, height, format: 'rgb24', pixels: 'redis',
        times: { capturedAt: Date.now(), queuedAt: Date.now() }, model: 'test', detections: [],
      };
      await redis.xadd(keys.detections('seen'), '*', 'd', JSON.stringify(r));
    }
    await waitFor(async () => (await redis.exists(keys.frame('seen', 2))) === 0, 10_000, 'frames processed');
    const at = new Date().toISOString();
    for (const camera of ['seen', 'never']) {
      const m: CameraStateMessage = { type: 'camera', camera, state: 'failed', reason: 'test', at };
      await redis.publish(keys.channels.camera, JSON.stringify(m));
    }
    const store = new AlertStore(redis, keys);
    const seen = await waitFor(async () => (await store.listAlerts({ rule: 'down-seen' }))[0], 10_000, 'camera_down of seen');
    const never = await waitFor(async () => (await store.listAlerts({ rule: 'down-never' }))[0], 10_000, 'camera_down of never');
    assert.equal(seen.snapshot, `/api/alerts/${seen.id}/snapshot.jpg`);
    const jpeg = await store.getSnapshot(seen.id);
    assert.ok(jpeg, 'the snapshot is stored');
    const meta = await sharp(jpeg).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', width, height]);
    assert.equal(never.snapshot, undefined, 'no snapshot field without a frame');
    assert.ok(!('snapshot' in never));
    assert.equal(await store.getSnapshot(never.id), undefined);
  });
});
