import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { configSchema } from '../../src/config/schema';
import { Context, type StageHandle } from '../../src/config/context';
import { Keys } from '../../src/core/keys';
import { nullLogger } from '../../src/core/logger';
import type { DetectionResult } from '../../src/core/types';
import { AlertStore } from '../../src/alerts';
import { start } from '../../src/track';
import { purgePrefix, REDIS_URL, sleep, testPrefix, waitFor } from '../helpers';

/** Blocks the event loop, as a burst of synchronous work on a loaded machine would. */
function stall(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy
  }
}

/**
 * 32 cameras tracked by one process while its event loop is stalled twice for 4 s (more than the 3 s lease ttl), 2 s
 * apart: every lease (32 track leases plus 32 more of another stage, 64 in one renewal round) holds, because the
 * renewal thread renews them meanwhile; nothing is suspended or lost, and every alert starts once and ends once.
 */
describe('leases under load: 32 cameras, event loop stalled @integration', function () {
  this.timeout(90_000);
  const prefix = testPrefix();
  const keys = new Keys(prefix);
  const redis = new Redis(REDIS_URL);
  let ctx: Context | undefined;
  let stage: StageHandle | undefined;

  after(async () => {
    await stage?.close().catch(() => undefined);
    await ctx?.closeConnections();
    await purgePrefix(redis, prefix);
    redis.disconnect();
  });

  it('loses no lease and writes no alert event twice', async () => {
    const ids = Array.from({ length: 32 }, (_, i) => `cam${i}`);
    const config = configSchema.parse({
      redis: { url: REDIS_URL, prefix },
      cameras: ids.map((id) => ({ id, url: '/dev/null', lines: [{ id: 'l', points: [[0.5, 0], [0.5, 1]] }] })),
      rules: ids.map((id) => ({ id: `cross-${id}`, type: 'line_cross', camera: id, line: 'l', direction: 'any' })),
      track: { minHits: 1 },
      instance: { leaseSeconds: 3 },
      alerts: { endAfterSeconds: 1 },
    });
    ctx = new Context(config, nullLogger(), new Set(['track']), { defaultMetrics: false });
    stage = await start(ctx);
    // Another stage's 32 leases in the same rounds (as ingest would add).
    for (const id of ids) {
      ctx.leases.claim('ingest', id, keys.lease('ingest', id), { acquired: () => undefined, lost: () => undefined });
    }
    await ctx.leases.round();

    // Each camera: a person walks across the line, back and forth, at 2 fps, until two stalls are over and frames
    // have come for 1.5 s after the second (about 12.5 s: a stall 1 s in, the next 2 s after the first one ends).
    let seq = 0;
    const t0 = Date.now();
    let nextStall = t0 + 1000;
    let stalls = 0;
    let resumedAt = 0;
    while (stalls < 2 || Date.now() - resumedAt < 1500) {
      const k = seq++;
      const x = 0.3 + 0.4 * Math.abs(((k % 16) - 8) / 8);
      const pipe = redis.pipeline();
      for (const id of ids) {
        const r: DetectionResult = {
          camera: id,
          seq: k,
          frameKey: keys.frame(id, k),
          width: 640,
          height: 480,
          format: 'rgb24',
          // Frames 500 ms apart in capture time, whatever the stalls do to when they arrive.
          times: { capturedAt: t0 + k * 500, queuedAt: t0 + k * 500 },
          model: 'test',
          detections: [{ label: 'person', score: 0.9, box: [x - 0.1, 0.3, x + 0.1, 0.7] }],
        };
        pipe.xadd(keys.detections(id), '*', 'd', JSON.stringify(r));
      }
      await pipe.exec();
      if (stalls < 2 && Date.now() >= nextStall) {
        stall(4000);
        stalls++;
        resumedAt = Date.now();
        nextStall = resumedAt + 2000;
      }
      await sleep(500); // paces the feed: 2 fps
    }
    assert.equal(stalls, 2, 'stalled twice');
    // Every camera's tracker has processed the last frame (its saved state says so).
    const last = seq - 1;
    await waitFor(
      async () => {
        const states = await redis.mget(ids.map((id) => keys.trackState(id)));
        return states.every((raw) => raw !== null && (JSON.parse(raw) as { lastSeq: number }).lastSeq === last);
      },
      15_000,
      'every camera tracked to its last frame',
    );

    const metrics = await ctx.metrics.metrics();
    assert.doesNotMatch(metrics, /vigil_leases_lost_total\{[^}]*\} [1-9]/, 'no lease suspended or lost');
    const late = /vigil_lease_round_lateness_seconds_bucket\{le="2"\} (\d+)[\s\S]*?vigil_lease_round_lateness_seconds_count (\d+)/.exec(metrics);
    assert.ok(late && Number(late[2]) > Number(late[1]), 'some main-thread rounds started more than 2 s late (the stalls were real)');
    assert.match(metrics, /vigil_leases_held\{stage="track"\} 32/);
    assert.match(metrics, /vigil_leases_held\{stage="ingest"\} 32/);

    await stage.close();
    stage = undefined;
    const events = await new AlertStore(redis, keys).readEvents('0', 100_000);
    const starts = new Map<string, number>();
    const ends = new Map<string, number>();
    for (const e of events) {
      const m = e.event === 'start' ? starts : e.event === 'end' ? ends : undefined;
      m?.set(e.alert.id, (m.get(e.alert.id) ?? 0) + 1);
    }
    assert.ok(starts.size >= 32, `alerts raised on every camera (${starts.size})`);
    assert.ok([...starts.values()].every((n) => n === 1), 'each alert started once');
    assert.ok([...ends.values()].every((n) => n === 1), 'each alert ended once');
    assert.ok([...ends.keys()].every((id) => starts.has(id)));
  });
});
