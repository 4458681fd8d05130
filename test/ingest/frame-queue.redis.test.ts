import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Registry } from 'prom-client';
import { Keys } from '../../src/core/keys';
import { LocalFrames } from '../../src/core/local-frames';
import { FrameQueue } from '../../src/ingest/frame-queue';
import { ingestMetrics, type IngestMetrics } from '../../src/ingest/metrics';
import { REDIS_URL, deletePrefix, waitFor } from './helpers';

describe('FrameQueue mailbox at the maxInFlight limit', function () {
  this.timeout(20_000);
  let admin: Redis;
  let conn: Redis;
  let bullConn: Redis;
  let keys: Keys;
  let metrics: IngestMetrics;
  let q: FrameQueue;

  beforeEach(() => {
    admin = new Redis(REDIS_URL);
    conn = new Redis(REDIS_URL);
    bullConn = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    keys = new Keys(`vigil-test-${randomBytes(4).toString('hex')}`);
    metrics = ingestMetrics(new Registry());
    q = new FrameQueue(conn, bullConn, keys, metrics);
  });

  afterEach(async () => {
    await q.close();
    await deletePrefix(admin, keys.prefix);
    admin.disconnect();
    conn.disconnect();
    bullConn.disconnect();
  });

  const frame = (v: number) => Buffer.alloc(12, v);
  const frameKeys = async (cam: string) =>
    (await admin.keys(`${keys.prefix}:frame:${cam}:*`)).sort((a, b) => Number(a.split(':').pop()) - Number(b.split(':').pop()));
  const drops = async (reason: string) =>
    (await metrics.droppedTotal.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;

  it('keeps frames that cannot be queued in memory, newest wins, and writes it when a slot frees', async () => {
    const w = q.forCamera({ camera: 'mb', maxInFlight: 1, frameTtlSeconds: 30, firstSeq: 1, evictAfterMs: 60_000, recheckMs: 5 });
    w.push(frame(1), 1000, 2, 2);
    await waitFor(() => w.queued === 1, 3000, 'first frame queued');
    w.push(frame(2), 1001, 2, 2);
    w.push(frame(3), 1002, 2, 2);
    await new Promise((r) => setTimeout(r, 150));
    const held = await frameKeys('mb');
    assert.equal(held.length, 1, `only the frame in flight is in Redis: ${held}`);
    assert.equal(w.queued, 1);
    assert.equal(await drops('backpressure'), 1, 'frame 2, replaced by 3 in the mailbox, is counted');
    // The job finishes (completed jobs are removed): the waiting frame goes out without a new frame arriving.
    await q.queue.remove('mb.1');
    await admin.del(held[0]);
    await waitFor(() => w.queued === 2, 3000, 'mailbox frame queued');
    const now = await frameKeys('mb');
    assert.equal(now.length, 1);
    assert.deepEqual(await admin.getBuffer(now[0]), frame(3), 'the newest frame is the one written');
    const job = await q.queue.getJob('mb.2');
    assert.equal(job?.data.capturedAt, 1002);
    assert.equal(w.dropped, 1);
    await w.close();
  });

  it('replaces the oldest waiting job when the camera stays blocked for evictAfterMs', async () => {
    const w = q.forCamera({ camera: 'ev', maxInFlight: 1, frameTtlSeconds: 30, firstSeq: 1, evictAfterMs: 100, recheckMs: 5 });
    w.push(frame(1), 1000, 2, 2);
    await waitFor(() => w.queued === 1, 3000, 'first frame queued');
    w.push(frame(2), 1001, 2, 2);
    await waitFor(() => w.queued === 2, 3000, 'second frame queued after the eviction');
    assert.equal(await q.queue.getJob('ev.1'), undefined, 'the waiting job was removed');
    const now = await frameKeys('ev');
    assert.equal(now.length, 1, `the evicted frame's pixels are deleted: ${now}`);
    assert.deepEqual(await admin.getBuffer(now[0]), frame(2));
    assert.equal(await drops('backpressure'), 1);
    await w.close();
  });

  it('pull mode: never drops, writes every frame in order as slots free, and asks the source to pause', async () => {
    let ready = 0;
    const w = q.forCamera({ camera: 'pl', maxInFlight: 1, frameTtlSeconds: 30, firstSeq: 1, evictAfterMs: 50, recheckMs: 5, pull: true, onReady: () => ready++ });
    assert.equal(w.full, false);
    w.push(frame(1), 1000, 2, 2);
    await waitFor(() => w.queued === 1, 3000, 'first frame queued');
    w.push(frame(2), 1001, 2, 2);
    assert.equal(w.full, true, 'a frame waits and the only slot is taken: pause');
    w.push(frame(3), 1002, 2, 2);
    // Far past evictAfterMs: pull mode waits instead of evicting.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(w.queued, 1);
    assert.ok(await q.queue.getJob('pl.1'), 'the waiting job is not evicted');
    const readyBefore = ready;
    for (const seq of [1, 2]) {
      await q.queue.remove(`pl.${seq}`);
      await waitFor(() => w.queued === seq + 1, 3000, `frame ${seq + 2} queued`);
    }
    assert.equal(w.full, false);
    assert.ok(ready > readyBefore, 'onReady ran when the waiting frames were all handed to Redis');
    const job = await q.queue.getJob('pl.3');
    assert.equal(job?.data.capturedAt, 1002, 'frames keep their order');
    assert.deepEqual(await admin.getBuffer(job!.data.key), frame(3));
    assert.equal(w.dropped, 0);
    assert.equal(await drops('backpressure'), 0);
    await w.close();
  });

  it('hands pixels to a detect stage of the same process and frees the slot when it reports the frame done', async () => {
    const local = new LocalFrames();
    const lq = new FrameQueue(conn, bullConn, keys, metrics, { frames: local, sharePixels: true });
    try {
      // No prune would find the slot free (the job stays in BullMQ; rechecks and eviction are far away): only done().
      const w = lq.forCamera({ camera: 'lo', maxInFlight: 1, frameTtlSeconds: 30, firstSeq: 1, evictAfterMs: 60_000, recheckMs: 60_000 });
      const px = frame(7);
      w.push(px, 1000, 2, 2);
      await waitFor(() => w.queued === 1, 3000, 'first frame queued');
      const key = keys.frame('lo', 1);
      assert.equal(local.takePixels(key), px, 'the very buffer, no Redis read');
      assert.equal(local.takePixels(key), undefined, 'taken once');
      w.push(frame(8), 1001, 2, 2);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(w.queued, 1, 'blocked while frame 1 is in flight');
      local.done(key);
      await waitFor(() => w.queued === 2, 1000, 'frame 2 queued right after done');
      assert.equal(w.depth, 1);
      assert.equal(local.size, 1, 'only frame 2 is registered');
      await w.discard();
      assert.equal(local.size, 0, 'discard forgets the frames');
    } finally {
      await lq.close();
    }
  });
});
