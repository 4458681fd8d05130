import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { DELETED, deleteCameraOverride, putCameraOverride, readCameraOverrides } from '../../src/config/camera-overrides';
import { Keys } from '../../src/core/keys';
import { REDIS_URL, testPrefix, waitFor } from '../helpers';

describe('camera overrides (real Redis)', () => {
  const url = REDIS_URL;
  const redis = new Redis(url);
  const sub = new Redis(url);
  const keys = new Keys(testPrefix());
  afterEach(async () => {
    await redis.del(keys.cameraOverrides);
  });
  after(() => {
    redis.disconnect();
    sub.disconnect();
  });

  it('stores a validated camera and publishes its id on the config channel', async () => {
    const got: string[] = [];
    sub.on('message', (_c: string, m: string) => got.push(m));
    await sub.subscribe(keys.channels.config);
    const c = await putCameraOverride(redis, keys, { id: 'door', url: 'rtsp://u:p@h/s' });
    assert.equal(c.detect.fps, 5, 'defaults applied');
    const all = await readCameraOverrides(redis, keys);
    assert.equal((all.get('door') as { url: string }).url, 'rtsp://u:p@h/s');
    await deleteCameraOverride(redis, keys, 'door');
    assert.equal((await readCameraOverrides(redis, keys)).get('door'), DELETED);
    await waitFor(() => got.length >= 2, 5000, 'a config message for the put and one for the delete');
    assert.deepEqual(got, ['door', 'door']);
  });
  it('rejects an invalid camera', async () => {
    await assert.rejects(putCameraOverride(redis, keys, { id: 'Bad Id', url: 'rtsp://h/s' }));
    assert.equal(await redis.exists(keys.cameraOverrides), 0);
  });
  it('skips and reports stored entries that no longer validate', async () => {
    await redis.hset(keys.cameraOverrides, 'x', '{"id":"x"}');
    const bad: string[] = [];
    const all = await readCameraOverrides(redis, keys, (id) => bad.push(id));
    assert.equal(all.size, 0);
    assert.deepEqual(bad, ['x']);
  });
});
