import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import type Redis from 'ioredis';
import pino from 'pino';
import { putCameraOverride } from '../../src/config/camera-overrides';
import { configSchema } from '../../src/config/schema';
import { Context, type StageHandle } from '../../src/config/context';
import type { BoundFrame } from '../../src/core/local-frames';
import type { DetectionResult, FrameTicket } from '../../src/core/types';
import { start } from '../../src/daemon/detect-role';
import { MEDIA, MODELS, purgePrefix, REDIS_URL, testPrefix, waitFor } from '../helpers';

/**
 * Cameras added or changed through the API (Redis overrides) must be honoured by the detect stage and its face stage,
 * not only by ingest and track: a camera added with `faces.enabled` gets faces looked for, a file camera switched on
 * through the API too, and one switched off through the API never again (privacy). The face stage runs when it ran
 * on a frame: `faces` is on the result (an array, empty when it found none) exactly then.
 */
describe('detect stage: cameras in effect (config file + API overrides, Redis) @integration', function () {
  this.timeout(120_000);
  let ctx: Context;
  let redis: Redis;
  let queue: Queue<FrameTicket>;
  let stage: StageHandle | undefined;
  let prefix: string;
  const waiting = new Map<string, BoundFrame>();
  const W = 768;
  const H = 576;
  const pixels = execFileSync(
    'ffmpeg',
    ['-v', 'error', '-ss', '10', '-i', join(MEDIA, 'vtest.mp4'), '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
    { maxBuffer: 1 << 24 },
  );

  beforeEach(() => {
    prefix = testPrefix();
    const config = configSchema.parse({
      redis: { url: REDIS_URL, prefix },
      models: { dir: MODELS, detector: { family: 'yolox', file: 'yolox_nano.onnx', device: 'cpu' } },
      detect: { workers: 1, threadsPerWorker: 1, maxFrameAgeMs: 30_000 },
      faces: { detector: 'ultraface', ultrafaceFile: join(MODELS, 'ultraface-rfb-320.onnx') },
      // File cameras: walkway without faces, door with faces.
      cameras: [
        { id: 'walkway', url: '/dev/null' },
        { id: 'door', url: '/dev/null', faces: { enabled: true } },
      ],
    });
    ctx = new Context(config, pino({ level: 'silent' }), new Set(['detect']), { defaultMetrics: false });
    redis = ctx.redis('test');
    queue = new Queue<FrameTicket>(ctx.keys.queues.frames, {
      connection: ctx.redis('test-queue', { maxRetriesPerRequest: null }),
      prefix: ctx.keys.bullPrefix,
    });
    for (const camera of ['walkway', 'door', 'lobby']) {
      ctx.localFrames.register(camera, {
        bind: (id) => {
          const f = waiting.get(id);
          waiting.delete(id);
          return f;
        },
        done: () => undefined,
      });
    }
  });

  afterEach(async () => {
    await stage?.close();
    stage = undefined;
    await queue.close();
    await purgePrefix(redis, prefix);
    await ctx.closeConnections();
  });

  /** Detects one frame of `camera` and answers its result. */
  async function detect(camera: string, seq: number): Promise<DetectionResult> {
    const id = `${camera}.${seq}`;
    const key = ctx.keys.frame(camera, seq);
    waiting.set(id, { camera, seq, capturedAt: Date.now(), queuedAt: Date.now(), key, width: W, height: H, format: 'rgb24', pixels });
    await queue.add(camera, { camera, owner: ctx.instanceId, queuedAt: Date.now() }, { jobId: id, removeOnComplete: true });
    return waitFor(
      async () => {
        const rows = await redis.xrange(ctx.keys.detections(camera), '-', '+');
        const row = rows.map(([, f]) => JSON.parse(f[1]) as DetectionResult).find((r) => r.seq === seq);
        return row;
      },
      60_000,
      `the result of ${id}`,
    );
  }

  it('looks for faces on cameras added or switched on through the API, and no longer on one switched off', async () => {
    // Before the stage starts: a camera added through the API with faces, and the file's door switched off.
    await putCameraOverride(redis, ctx.keys, { id: 'lobby', url: '/dev/null', faces: { enabled: true } });
    await putCameraOverride(redis, ctx.keys, { id: 'door', url: '/dev/null', faces: { enabled: false } });
    stage = await start(ctx);
    await waitFor(async () => (stage!.readiness().length === 0 ? true : undefined), 60_000, 'the detector loaded');

    assert.ok(Array.isArray((await detect('lobby', 1)).faces), 'lobby (added through the API with faces): faces looked for');
    assert.equal((await detect('door', 1)).faces, undefined, 'door (faces switched off through the API): no faces');
    assert.equal((await detect('walkway', 1)).faces, undefined, 'walkway (no faces in the file): no faces');

    // While the stage runs: walkway switched on through the API.
    await putCameraOverride(redis, ctx.keys, { id: 'walkway', url: '/dev/null', faces: { enabled: true } });
    let seq = 2;
    await waitFor(async () => Array.isArray((await detect('walkway', seq++)).faces), 30_000, 'walkway with faces');
  });
});
