import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import type Redis from 'ioredis';
import pino from 'pino';
import { configSchema } from '../../src/config/schema';
import { Context, type StageHandle } from '../../src/config/context';
import type { BoundFrame } from '../../src/core/local-frames';
import type { DetectionResult, FrameTicket } from '../../src/core/types';
import { start } from '../../src/detect';
import { buildModels } from '../../src/models/build';
import { purgePrefix, testPrefix, waitFor } from '../helpers';

/**
 * Tickets of several cameras waiting at once are detected in one batch when the model has a free batch dimension
 * (what a GPU needs to be used well): the detect worker takes up to `batchSize` tickets together, binds each
 * camera's frame, and the micro-batcher runs them as one inference.
 */
describe('detect stage batches frames of several cameras (Redis, BullMQ, built DetectNet_v2)', function () {
  this.timeout(120_000);
  let dir: string;
  let ctx: Context;
  let stage: StageHandle | undefined;
  let redis: Redis;
  const prefix = testPrefix();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-test-batch-'));
    await buildModels(dir, pino({ level: 'silent' }), { only: ['detectnet_resnet18_640x384.onnx'] });
  });
  after(async () => {
    await stage?.close();
    await purgePrefix(redis, prefix);
    await ctx.closeConnections();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs four cameras\' frames as one batch', async () => {
    const cams = ['c1', 'c2', 'c3', 'c4'];
    ctx = new Context(
      configSchema.parse({
        redis: { prefix },
        models: { dir, detector: { family: 'detectnet_v2', file: 'detectnet_resnet18_640x384.onnx', device: 'cpu' } },
        detect: { workers: 1, threadsPerWorker: 1, batchSize: 4, batchWaitMs: 200, maxFrameAgeMs: 60_000 },
        cameras: cams.map((id) => ({ id, url: '/dev/null' })),
      }),
      pino({ level: 'silent' }),
      new Set(['detect']),
      { defaultMetrics: false },
    );
    redis = ctx.redis('test');
    const w = 640;
    const h = 384;
    for (const camera of cams) {
      const frame: BoundFrame = { camera, seq: 1, capturedAt: Date.now(), queuedAt: Date.now(), key: ctx.keys.frame(camera, 1), width: w, height: h, format: 'rgb24', pixels: Buffer.alloc(w * h * 3, 90) };
      let given = false;
      ctx.localFrames.register(camera, {
        bind: () => (given ? undefined : ((given = true), frame)),
        done: () => undefined,
      });
    }
    stage = await start(ctx);
    await waitFor(() => stage!.readiness().length === 0, 30_000, 'the detect stage ready', 100);
    const queue = new Queue<FrameTicket>(ctx.keys.queues.frames, { connection: ctx.redis('q', { maxRetriesPerRequest: null }), prefix: ctx.keys.bullPrefix });
    await queue.addBulk(cams.map((camera) => ({ name: camera, data: { camera, owner: ctx.instanceId, queuedAt: Date.now() }, opts: { jobId: `${camera}.1`, removeOnComplete: true } })));
    const results = await waitFor(async () => {
      const all: DetectionResult[] = [];
      for (const c of cams) {
        const rows = await redis.xrange(ctx.keys.detections(c), '-', '+');
        all.push(...rows.map(([, f]) => JSON.parse(f[1]) as DetectionResult));
      }
      return all.length >= 4 && all;
    }, 30_000, 'a detection result for each of the four cameras', 100);
    await queue.close();
    assert.deepEqual(results.map((r) => r.camera).sort(), cams);
    const text = await ctx.metrics.getSingleMetricAsString('vigil_detect_batch_size');
    const count = Number(/vigil_detect_batch_size_count\{[^}]*\} (\d+)/.exec(text)?.[1] ?? 0);
    const sum = Number(/vigil_detect_batch_size_sum\{[^}]*\} (\d+)/.exec(text)?.[1] ?? 0);
    assert.equal(sum, 4, 'four frames inferred');
    assert.ok(count <= 2, `in ${count} inferences: frames of different cameras shared a batch`);
  });
});
