import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { configSchema, type VigilConfig } from '../../src/config/schema';
import { Context, type StageHandle } from '../../src/config/context';
import { Keys } from '../../src/core/keys';
import { captureLogger, createLogger } from '../../src/core/logger';
import type { DetectionResult, DetectionsMessage } from '../../src/core/types';
import { AlertStore } from '../../src/alerts';
import { start } from '../../src/track';
import { purgePrefix, REDIS_URL, sleep, testPrefix, timeUntil, waitFor } from '../helpers';

describe('track stage failover and rule reload (Redis)', function () {
  this.timeout(40_000);
  const prefix = testPrefix();
  const keys = new Keys(prefix);
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  const sub = new Redis(REDIS_URL, { lazyConnect: true });
  const handles: Array<{ ctx: Context; stage: StageHandle }> = [];

  const config = (rules: unknown[]): VigilConfig =>
    configSchema.parse({
      redis: { url: REDIS_URL, prefix },
      cameras: [
        {
          id: 'cam',
          url: '/dev/null',
          zones: [{ id: 'z', polygon: [[0.5, 0], [1, 0], [1, 1], [0.5, 1]] }],
        },
      ],
      rules,
      // Long enough that the person walking on across the takeover is still the same track for the new owner.
      track: { minHits: 1, maxLostSeconds: 10 },
      instance: { leaseSeconds: 1 },
      alerts: { endAfterSeconds: 1 },
    });

  let seq = 0;
  async function feed(n: number, x: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const s = seq++;
      const r: DetectionResult = {
        camera: 'cam',
        seq: s,
        frameKey: keys.frame('cam', s),
        width: 640,
        height: 480,
        format: 'rgb24',
        times: { capturedAt: Date.now(), queuedAt: Date.now() },
        model: 'test',
        detections: [{ label: 'person', score: 0.9, box: [x, 0.4, x + 0.05, 0.6] }],
      };
      await redis.xadd(keys.detections('cam'), '*', 'd', JSON.stringify(r));
      await sleep(40); // paces the feed: 25 fps
    }
  }

  after(async () => {
    for (const h of handles) {
      await h.stage.close().catch(() => undefined);
      await h.ctx.closeConnections();
    }
    await purgePrefix(redis, prefix);
    redis.disconnect();
    sub.disconnect();
  });

  it('another process takes a camera over within a few seconds of its owner dying, and rules reload live', async () => {
    await redis.connect();
    await sub.connect();
    const msgs: DetectionsMessage[] = [];
    sub.on('message', (_c, raw) => msgs.push(JSON.parse(raw) as DetectionsMessage));
    await sub.subscribe(keys.channels.detections);
    const mk = async (log = createLogger({ level: 'silent' })) => {
      const ctx = new Context(config([]), log, new Set(['track']), { defaultMetrics: false });
      const stage = await start(ctx);
      handles.push({ ctx, stage });
      return ctx;
    };
    const a = await mk();
    const owner = await redis.get(keys.lease('track', 'cam'));
    assert.ok(owner, 'first process owns the camera');
    const bLog = captureLogger('info');
    const b = await mk(bLog.log);
    await feed(10, 0.1);
    await waitFor(() => msgs.length === 10, 8000, 'A processes frames');
    // A persists its state on its next tick: the takeover starts from it.
    await waitFor(async () => (JSON.parse((await redis.get(keys.trackState('cam'))) ?? '{}') as { lastSeq?: number }).lastSeq === 9, 8000, 'A saved its state after frame 9');

    // A dies: its Redis connections drop, it renews nothing and releases nothing.
    a.crash();
    const tookMs = await timeUntil(
      async () => {
        const o = await redis.get(keys.lease('track', 'cam'));
        return o !== null && o !== owner;
      },
      8000,
      'B owns the lease',
    );
    assert.ok(tookMs < 5000, `takeover in ${tookMs} ms`);
    await feed(10, 0.12);
    await waitFor(() => msgs.length === 20, 8000, 'B processes the new frames');
    assert.deepEqual(
      msgs.map((m) => m.seq),
      Array.from({ length: 20 }, (_, i) => i),
      'no frame processed twice or skipped',
    );
    assert.equal(msgs[10].objects[0].trackId, msgs[9].objects[0].trackId, 'the new owner continues the tracker: same person, same id');
    assert.equal(msgs[19].objects[0].trackId, msgs[9].objects[0].trackId);
    // A result that arrives after later frames were processed is dropped and counted, not processed.
    const lateSeq = 3;
    await redis.xadd(
      keys.detections('cam'),
      '*',
      'd',
      JSON.stringify({ camera: 'cam', seq: lateSeq, frameKey: keys.frame('cam', lateSeq), width: 640, height: 480, format: 'rgb24', times: { capturedAt: Date.now(), queuedAt: Date.now() }, model: 'test', detections: [] }),
    );
    await waitFor(async () => /vigil_tracker_late_frames_total\{camera="cam"\} 1/.test(await b.metrics.metrics()), 8000, 'late frame counted');
    assert.equal(msgs.length, 20);

    // Rules reloaded at run time: a zone rule added to B's config fires without a restart.
    b.reload(
      config([
        { id: 'zr', type: 'zone_enter', camera: 'cam', zone: 'z' },
        { id: 'down', type: 'camera_down', camera: 'cam', seconds: 1 },
      ]),
    );
    await waitFor(() => bLog.lines.some((l) => l.includes('"rules reloaded"')), 8000, 'B applied the new rules');
    await feed(8, 0.7);
    const store = new AlertStore(redis, keys);
    await waitFor(async () => (await store.listAlerts({ rule: 'zr' })).length === 1, 8000, 'zone alert');
    const metrics = await b.metrics.metrics();
    assert.match(metrics, /vigil_alerts_total\{camera="cam",rule="zr",type="zone_enter",event="start"\} 1/);
    assert.match(metrics, /vigil_stage_latency_seconds_count\{camera="cam",stage="alert"\} 1/);

    // camera_down: the camera state channel says the camera failed; no frames come; the alert starts.
    const msg = { type: 'camera', camera: 'cam', state: 'failed', reason: 'gave up', at: new Date().toISOString() };
    await redis.publish(keys.channels.camera, JSON.stringify(msg));
    await waitFor(async () => (await store.listAlerts({ rule: 'down' })).length === 1, 8000, 'camera_down alert');
  });
});
