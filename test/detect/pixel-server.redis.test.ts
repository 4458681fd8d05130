import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { framePool } from '../../src/core/frame-pool';
import { Keys } from '../../src/core/keys';
import type { BoundFrame } from '../../src/core/local-frames';
import { nullLogger } from '../../src/core/logger';
import { PixelServer, MIN_PER_CAMERA } from '../../src/detect/pixel-server';
import { HeldPixels } from '../../src/track/held-pixels';
import { purgePrefix, REDIS_URL, testPrefix, waitFor } from '../helpers';

const W = 32;
const H = 24;

/**
 * Held pixels across two "processes" on real Redis: a detect process's PixelServer holding frames, a tracker's
 * HeldPixels asking for them and releasing them.
 */
describe('held pixels: detect holds, a tracker elsewhere asks and releases (Redis)', function () {
  this.timeout(20_000);
  const prefix = testPrefix();
  const keys = new Keys(prefix);
  const conns: Redis[] = [];
  const conn = (): Redis => {
    const r = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    conns.push(r);
    return r;
  };
  const cameras = { get: (id: string) => (id === 'cam' ? { detect: { fps: 10 }, frameTtlSeconds: 30 } : undefined) };
  let server: PixelServer;
  let client: HeldPixels;
  const pool = framePool(W * H * 3);

  const frame = (seq: number): BoundFrame => {
    const pixels = pool.acquire();
    pixels.fill(seq % 251);
    return { camera: 'cam', seq, capturedAt: Date.now(), queuedAt: Date.now(), key: keys.frame('cam', seq), width: W, height: H, format: 'rgb24', pixels };
  };

  beforeEach(() => {
    server = new PixelServer(conn(), conn(), keys, 'detect-1', cameras, nullLogger());
    server.start();
    client = new HeldPixels(conn(), conn(), keys, 'track-1', nullLogger(), { timeoutMs: 300, flushMs: 20, deadForMs: 1000 });
  });

  afterEach(async () => {
    await client.close();
    await server.close();
  });

  after(async () => {
    const r = conn();
    await purgePrefix(r, prefix);
    for (const c of conns) {
      c.disconnect();
    }
  });

  it('answers a get with a copy of the held pixels, and gives them back once released', async () => {
    const f = frame(1);
    const free = pool.available;
    const expected = Buffer.from(f.pixels);
    server.hold(f);
    const px = await client.get('detect-1', f.key);
    assert.ok(px, 'pixels answered');
    assert.deepEqual(px, expected);
    assert.notEqual(px.buffer, f.pixels.buffer, 'a copy, not the slot');
    assert.equal(server.counts.served, 1);
    assert.equal(server.held.size, 1, 'still held: the tracker has not released it');
    client.release('detect-1', f.key);
    await waitFor(async () => (server.held.size === 0 ? true : undefined), 3000, 'the release arrived');
    assert.equal(server.counts.released, 1);
    assert.equal(pool.available, free + 1, 'the slot is back in its pool');
    // Nothing left in Redis but lists that expire: the request list is drained, the answer read.
    assert.equal(await conn().llen(keys.pixelReplies('track-1')), 0);
    assert.equal(await conn().exists(f.key), 0, 'the pixels were never stored under the frame key');
  });

  it('answers at once when the frame is gone (released, evicted, never held)', async () => {
    const t0 = Date.now();
    assert.equal(await client.get('detect-1', keys.frame('cam', 999)), undefined);
    assert.ok(Date.now() - t0 < 250, 'not a timeout');
    assert.equal(server.counts.gone, 1);
  });

  it('releases many frames in one message, and evicts beyond a second of frames per camera', async () => {
    const n = 25;
    for (let i = 0; i < n; i++) {
      server.hold(frame(100 + i));
    }
    const bound = Math.max(MIN_PER_CAMERA, 10);
    assert.equal(server.held.size, bound, 'a second of frames at 10 fps');
    assert.equal(server.held.evicted, n - bound);
    assert.equal(await client.get('detect-1', keys.frame('cam', 100)), undefined, 'the oldest were evicted');
    assert.ok(await client.get('detect-1', keys.frame('cam', 100 + n - 1)), 'the newest is there');
    for (let i = 0; i < n; i++) {
      client.release('detect-1', keys.frame('cam', 100 + i));
    }
    await waitFor(async () => (server.held.size === 0 ? true : undefined), 3000, 'all released');
    assert.equal(server.counts.released, bound);
  });

  it('ignores a malformed request and keeps serving', async () => {
    await conn().rpush(keys.pixelRequests('detect-1'), 'not json', JSON.stringify({ get: 7 }));
    const f = frame(300);
    server.hold(f);
    assert.ok(await client.get('detect-1', f.key));
    assert.equal(server.counts.malformed, 2);
  });

  it('answers undefined after the timeout when the holder is gone, then at once for a while', async () => {
    const t0 = Date.now();
    assert.equal(await client.get('detect-dead', keys.frame('cam', 1)), undefined);
    const waited = Date.now() - t0;
    assert.ok(waited >= 280 && waited < 2000, `waited ${waited} ms`);
    const t1 = Date.now();
    assert.equal(await client.get('detect-dead', keys.frame('cam', 2)), undefined);
    assert.ok(Date.now() - t1 < 50, 'a holder that did not answer is not waited for again at once');
    // A live holder is not affected.
    const f = frame(400);
    server.hold(f);
    assert.ok(await client.get('detect-1', f.key));
    const ttl = await conn().pttl(keys.pixelRequests('detect-dead'));
    assert.ok(ttl > 0 && ttl <= 10_000, `the dead holder's request list expires (pttl ${ttl})`);
  });

  it('gives every held frame back when the server closes; later asks find nothing', async () => {
    server.hold(frame(500));
    server.hold(frame(501));
    const free = pool.available;
    await server.close();
    assert.equal(server.held.size, 0);
    assert.equal(pool.available, free + 2);
    assert.equal(await client.get('detect-1', keys.frame('cam', 500)), undefined);
  });
});
