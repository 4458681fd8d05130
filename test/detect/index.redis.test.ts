import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import type Redis from 'ioredis';
import pino from 'pino';
import { configSchema } from '../../src/config/schema';
import { Context, type StageHandle } from '../../src/config/context';
import type { DetectionResult, FrameTicket } from '../../src/core/types';
import type { BoundFrame } from '../../src/core/local-frames';
import { start } from '../../src/detect';
import { HeldPixels } from '../../src/track/held-pixels';
import { MEDIA, MODELS, REDIS_URL, testPrefix, waitFor } from '../helpers';

/** Three consecutive-ish frames of vtest.mp4 as rgb24 at 768x576. */
function frames(): Buffer[] {
  const all = execFileSync(
    'ffmpeg',
    ['-v', 'error', '-ss', '10', '-i', join(MEDIA, 'vtest.mp4'), '-frames:v', '3', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
    { maxBuffer: 1 << 24 },
  );
  const n = 768 * 576 * 3;
  return [0, 1, 2].map((i) => all.subarray(i * n, (i + 1) * n));
}

function makeCtx(prefix: string, overrides: Record<string, unknown> = {}): Context {
  const config = configSchema.parse({
    redis: { url: REDIS_URL, prefix },
    models: { dir: MODELS, detector: { family: 'yolox', file: 'yolox_nano.onnx', device: 'cpu' } },
    detect: { workers: 1, threadsPerWorker: 1, maxFrameAgeMs: 10_000 },
    cameras: [{ id: 'walkway', url: '/dev/null' }],
    ...overrides,
  });
  return new Context(config, pino({ level: 'silent' }), new Set(['detect']), { defaultMetrics: false });
}

async function cleanup(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) {
      await redis.del(...keys);
    }
  } while (cursor !== '0');
}

describe('detect stage (Redis, BullMQ, real frames)', function () {
  this.timeout(60_000);
  let ctx: Context;
  let stage: StageHandle | undefined;
  let queue: Queue<FrameTicket>;
  /** Frames this test's "ingest" holds, by ticket id; frames the stage reported done. */
  let waiting: Map<string, BoundFrame>;
  let done: string[];
  let redis: Redis;
  let prefix: string;

  beforeEach(() => {
    prefix = testPrefix();
    ctx = makeCtx(prefix);
    redis = ctx.redis('test');
    queue = new Queue<FrameTicket>(ctx.keys.queues.frames, { connection: ctx.redis('test-queue', { maxRetriesPerRequest: null }), prefix: ctx.keys.bullPrefix });
    register();
  });

  /** Plays the ingest stage of the same process: frames bound from memory by ticket. */
  function register(): void {
    waiting = new Map();
    done = [];
    ctx.localFrames.register('walkway', {
      bind: (id) => {
        const f = waiting.get(id);
        waiting.delete(id);
        return f;
      },
      done: (key) => done.push(key),
    });
  }

  afterEach(async () => {
    await stage?.close();
    stage = undefined;
    await queue.close();
    await cleanup(redis, prefix);
    await ctx.closeConnections();
  });

  async function push(camera: string, seq: number, pixels: Buffer, capturedAt = Date.now()): Promise<string> {
    const key = ctx.keys.frame(camera, seq);
    const id = `${camera}.${seq}`; // BullMQ 6 refuses ":" in custom ids
    waiting.set(id, { camera, seq, capturedAt, queuedAt: Date.now(), key, width: 768, height: 576, format: 'rgb24', pixels });
    await queue.add(camera, { camera, owner: ctx.instanceId, queuedAt: Date.now() }, { jobId: id, removeOnComplete: true, removeOnFail: 100 });
    return key;
  }

  it('turns tickets into DetectionResults on the camera stream (frames bound from memory), drops stale frames, reports fps', async () => {
    stage = await start(ctx);
    await waitFor(async () => (stage!.readiness().length === 0 ? true : undefined), 30_000, 'the detector loaded');
    const px = frames();
    // A stale frame first: dropped and its pixels deleted.
    const staleKey = await push('walkway', 1, px[0], Date.now() - 60_000);
    for (let i = 0; i < 3; i++) {
      await push('walkway', 2 + i, px[i]);
    }
    const entries = await waitFor(
      async () => {
        const e = await redis.xrange(ctx.keys.detections('walkway'), '-', '+');
        return e.length >= 3 ? e : undefined;
      },
      30_000,
      'three detection results',
    );
    const results = entries.map(([, fields]) => JSON.parse(fields[1]) as DetectionResult);
    assert.deepEqual(results.map((r) => r.seq).sort(), [2, 3, 4]);
    for (const r of results) {
      assert.equal(r.camera, 'walkway');
      assert.equal(r.model, 'yolox_nano.onnx');
      assert.equal(r.frameKey, ctx.keys.frame('walkway', r.seq));
      const t = r.times;
      assert.ok(t.capturedAt <= t.queuedAt && t.queuedAt <= t.pickedAt! && t.pickedAt! <= t.inferredAt! && t.inferredAt! <= t.publishedAt!);
      const people = r.detections.filter((d) => d.label === 'person' && d.score >= 0.5);
      assert.ok(people.length >= 5, `frame ${r.seq}: ${people.length} people`);
      for (const d of r.detections) {
        assert.ok(d.box.every((v) => v >= 0 && v <= 1));
      }
    }
    assert.ok(done.includes(staleKey), 'the stale frame was reported done (its camera may admit the next)');
    assert.equal(done.length, 4);
    // No track stage in this process: the pixels stay here, held for the camera's tracker elsewhere, which asks for
    // those it needs and releases the rest; none is written to Redis.
    const tracker = new HeldPixels(ctx.redis('test-held'), ctx.redis('test-held-read', { maxRetriesPerRequest: null }), ctx.keys, 'tracker-elsewhere', ctx.log);
    try {
      for (const r of results) {
        assert.equal(r.pixels, undefined);
        assert.equal(r.holder, ctx.instanceId);
        assert.equal(await redis.exists(r.frameKey), 0, 'no pixels in Redis');
      }
      const r = results.find((x) => x.seq === 3)!;
      const pixels = await tracker.get(r.holder!, r.frameKey);
      assert.deepEqual(pixels, px[1], 'the tracker gets the very pixels of the frame it asks for');
      await waitFor(async () => (/vigil_detect_held_frames 3\b/.test(await ctx.metrics.metrics()) ? true : undefined), 3000, 'the held frames gauge at 3');
      for (const x of results) {
        tracker.release(x.holder!, x.frameKey);
      }
      tracker.flush();
      await waitFor(async () => (await tracker.get(r.holder!, r.frameKey)) === undefined || undefined, 5000, 'the released frame gone');
    } finally {
      await tracker.close();
    }
    assert.equal(await redis.exists(staleKey), 0, 'nothing stored of the stale frame');
    assert.equal(await redis.xlen(ctx.keys.detections('walkway')), 3);
    const metrics = await ctx.metrics.metrics();
    assert.match(metrics, /vigil_frames_dropped_total\{camera="walkway",reason="stale"\} 1/);
    assert.match(metrics, /vigil_detect_frames_total\{camera="walkway"\} 3/);
    assert.match(metrics, /vigil_inference_seconds_count\{model="yolox_nano.onnx",device="cpu"\} 3/);
    assert.match(metrics, /vigil_stage_latency_seconds_count\{camera="walkway",stage="published"\} 3/);
    const fps = await waitFor(async () => (await redis.hget(ctx.keys.cameraStatus('walkway'), 'fpsDetect')) ?? undefined, 3000, 'fpsDetect in the camera status');
    assert.ok(Number(fps) > 0);
  });

  it('keeps the last detect.fps × 60 results in a camera\'s stream, by count (Redis memory set by the configuration)', async () => {
    await ctx.closeConnections();
    ctx = makeCtx(prefix, { cameras: [{ id: 'walkway', url: '/dev/null', detect: { fps: 0.5 } }] });
    redis = ctx.redis('test');
    await queue.close();
    queue = new Queue<FrameTicket>(ctx.keys.queues.frames, { connection: ctx.redis('test-queue', { maxRetriesPerRequest: null }), prefix: ctx.keys.bullPrefix });
    register();
    stage = await start(ctx);
    await waitFor(async () => (stage!.readiness().length === 0 ? true : undefined), 30_000, 'the detector loaded');
    const px = frames();
    for (let seq = 1; seq <= 45; seq++) {
      await push('walkway', seq, px[seq % 3]);
    }
    const newest = await waitFor(
      async () => {
        const [e] = await redis.xrevrange(ctx.keys.detections('walkway'), '+', '-', 'COUNT', 1);
        const r = e ? (JSON.parse(e[1][1]) as DetectionResult) : undefined;
        return r?.seq === 45 ? r : undefined;
      },
      30_000,
      'the 45th result',
    );
    assert.equal(newest.camera, 'walkway');
    // 0.5 fps × 60 s = 30 results kept; XADD MAXLEN ~ trims whole stream nodes, so a few more may stay.
    const len = await redis.xlen(ctx.keys.detections('walkway'));
    assert.ok(len >= 30 && len <= 40, `${len} results kept of 45`);
  });

  it('stays up with a missing model: readiness names the file and the problem', async () => {
    await ctx.closeConnections();
    ctx = makeCtx(prefix, { models: { dir: '/nonexistent', detector: { family: 'yolox', file: 'mine.onnx', device: 'cpu' } } });
    redis = ctx.redis('test');
    await queue.close();
    queue = new Queue<FrameTicket>(ctx.keys.queues.frames, { connection: ctx.redis('test-queue', { maxRetriesPerRequest: null }), prefix: ctx.keys.bullPrefix });
    register();
    stage = await start(ctx);
    const reasons = await waitFor(async () => {
      const r = stage!.readiness();
      return r.length > 0 && !/loading/.test(r[0]) ? r : undefined;
    }, 10_000, 'a readiness reason that is not \"loading\"');
    assert.match(reasons[0], /mine\.onnx: file not found/);
  });

  it('close() is idempotent and waits for the frames in flight', async () => {
    stage = await start(ctx);
    await waitFor(async () => (stage!.readiness().length === 0 ? true : undefined), 30_000, 'the detector loaded');
    await push('walkway', 7, frames()[0]);
    await waitFor(async () => ((await queue.getActiveCount()) > 0 || (await redis.xlen(ctx.keys.detections('walkway'))) > 0 ? true : undefined), 10_000, 'a frame in inference or detected');
    const a = stage.close();
    assert.equal(stage.close(), a);
    await a;
    assert.equal(await redis.xlen(ctx.keys.detections('walkway')), 1);
  });
});
