/**
 * The detect stage: a BullMQ worker on the frames queue feeding the detector pool. Per frame: drop it when older
 * than `detect.maxFrameAgeMs` (DEL its pixels, count it), read the pixels, detect, run the face stage for cameras
 * with faces enabled, XADD the DetectionResult to the camera's detections stream, count and time it.
 */
import { isAbsolute, join, basename } from 'node:path';
import { existsSync } from 'node:fs';
import { Worker, type Job } from 'bullmq';
import type { VigilConfig } from '../config/schema';
import { onceClose, type Context, type StageHandle } from '../core/context';
import { corkUntilCheckPhase } from '../core/cork';
import { releaseFrame } from '../core/frame-pool';
import type { DetectionResult, FrameJob } from '../core/types';
import { createFaceStage, type FaceStage } from '../faces';
import { fetchModel, findKnownModel } from '../models/registry';
import { Detector } from './detector';
import type { BatchTimings } from './inference-worker';
import { detectMetrics } from './metrics';

/** Path of the configured detector model. */
export function modelPath(config: VigilConfig): string {
  const f = config.models.detector.file;
  return isAbsolute(f) ? f : join(config.models.dir, f);
}

/** Creates the detector the config asks for (exported for the bench and tests). */
export async function createDetector(ctx: Context, onBatch?: (timings: BatchTimings, size: number) => void): Promise<Detector> {
  const { detector: d } = ctx.config.models;
  const path = modelPath(ctx.config);
  if (!existsSync(path) && findKnownModel(path) && !isAbsolute(d.file)) {
    ctx.log.warn({ file: path }, 'model file missing: trying to download it');
    await fetchModel(ctx.config.models.dir, d.file);
  }
  return await Detector.create({
    init: {
      modelPath: path,
      family: d.family,
      inputSize: d.inputSize,
      device: d.device,
      post: { labels: d.labels, classes: d.classes, scoreThreshold: d.scoreThreshold, classThresholds: d.classThresholds, nmsIou: d.nmsIou, cluster: d.cluster },
    },
    workers: ctx.config.detect.workers,
    threadsPerWorker: ctx.config.detect.threadsPerWorker,
    batchSize: ctx.config.detect.batchSize,
    batchWaitMs: ctx.config.detect.batchWaitMs,
    log: ctx.log.child({ stage: 'detect' }),
    onBatch,
  });
}

/** Starts the detect stage. Never throws for a bad or missing model: readiness says why and loading is retried. */
export async function start(ctx: Context): Promise<StageHandle> {
  const log = ctx.log.child({ stage: 'detect' });
  const m = detectMetrics(ctx.metrics);
  const redis = ctx.redis('detect');
  const bullConn = ctx.redis('detect-bull', { maxRetriesPerRequest: null });
  let detector: Detector | undefined;
  let modelProblem: string | undefined = 'detect: model loading';
  let faceStage: FaceStage | undefined;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;
  const fpsCount = new Map<string, number>();
  const modelName = () => basename(ctx.config.models.detector.file);

  const worker = new Worker<FrameJob>(ctx.keys.queues.frames, (job) => processJob(job), {
    connection: bullConn,
    prefix: ctx.keys.bullPrefix,
    autorun: false,
    concurrency: 2,
    // A frame is worth nothing after maxFrameAgeMs: never retry a stalled one for long.
    maxStalledCount: 1,
  });
  worker.on('error', (err) => log.error({ err: err.message }, 'frames worker error'));
  worker.on('failed', (job, err) => log.warn({ job: job?.id, err: err.message }, 'frame failed'));

  async function processJob(job: Job<FrameJob>): Promise<void> {
    try {
      await detectFrame(job.data);
    } finally {
      // Frames written by this process's ingest: free their camera's slot now (no-op for other processes' frames).
      ctx.localFrames.done(job.data.key);
    }
  }

  async function detectFrame(f: FrameJob): Promise<void> {
    const pickedAt = Date.now();
    const det = detector;
    if (pickedAt - f.capturedAt > ctx.config.detect.maxFrameAgeMs || !det) {
      m.droppedTotal.inc({ camera: f.camera, reason: det ? 'stale' : 'no_model' });
      releaseFrame(ctx.localFrames.takePixels(f.key));
      await redis.del(f.key);
      return;
    }
    // Written by this process's ingest: the pixels are still in memory (a frame-pool slot, given back when this
    // frame is done), no need to read 0.9 MB back from Redis.
    const local = ctx.localFrames.takePixels(f.key);
    try {
      const pixels = local ?? (await redis.getBuffer(f.key));
      if (!pixels) {
        m.droppedTotal.inc({ camera: f.camera, reason: 'expired' });
        return;
      }
      await detectPixels(f, det, pixels, pickedAt);
    } finally {
      releaseFrame(local);
    }
  }

  async function detectPixels(f: FrameJob, det: Detector, pixels: Buffer, pickedAt: number): Promise<void> {
    const faces = faceStage !== undefined && ctx.config.cameras.find((c) => c.id === f.camera)?.faces.enabled === true;
    let out;
    try {
      // Without the face stage nobody reads the pixels here afterwards: move them into the worker, no copy.
      out = await det.detect({ pixels, width: f.width, height: f.height, transfer: !faces });
    } catch (err) {
      await redis.del(f.key);
      throw err;
    }
    const inferredAt = Date.now();
    const result: DetectionResult = {
      camera: f.camera,
      seq: f.seq,
      frameKey: f.key,
      width: f.width,
      height: f.height,
      format: f.format,
      times: { capturedAt: f.capturedAt, queuedAt: f.queuedAt, pickedAt, inferredAt },
      model: modelName(),
      detections: out.detections,
    };
    if (faceStage && faces) {
      try {
        result.faces = await faceStage.process({ camera: f.camera, seq: f.seq, width: f.width, height: f.height, pixels }, out.detections);
      } catch (err) {
        log.warn({ camera: f.camera, err: (err as Error).message }, 'face stage failed on a frame');
      }
    }
    const publishedAt = Date.now();
    result.times.publishedAt = publishedAt;
    // Published over the worker's own connection and not awaited: BullMQ finishing this job right after joins the
    // same write (corkUntilCheckPhase); Redis still runs the XADD first. A failed XADD loses only this frame's
    // detections: counted and logged, like a frame that failed.
    corkUntilCheckPhase(bullConn);
    bullConn.xadd(ctx.keys.detections(f.camera), 'MAXLEN', '~', '1000', '*', 'd', JSON.stringify(result)).catch((err: Error) => {
      m.droppedTotal.inc({ camera: f.camera, reason: 'redis_error' });
      log.warn({ camera: f.camera, seq: f.seq, err: err.message }, 'detections not published');
    });
    m.framesTotal.inc({ camera: f.camera });
    m.stageLatency.observe({ stage: 'capture_to_queued' }, (f.queuedAt - f.capturedAt) / 1000);
    m.stageLatency.observe({ stage: 'queued_to_picked' }, (pickedAt - f.queuedAt) / 1000);
    m.stageLatency.observe({ stage: 'picked_to_inferred' }, (inferredAt - pickedAt) / 1000);
    m.stageLatency.observe({ stage: 'inferred_to_published' }, (publishedAt - inferredAt) / 1000);
    m.stageLatency.observe({ stage: 'capture_to_detections' }, (publishedAt - f.capturedAt) / 1000);
    fpsCount.set(f.camera, (fpsCount.get(f.camera) ?? 0) + 1);
  }

  // fpsDetect about once a second, for every camera seen in the last window (0 once when it stops).
  let lastFps = Date.now();
  const fpsTimer = setInterval(() => {
    const now = Date.now();
    const dt = (now - lastFps) / 1000;
    lastFps = now;
    const p = redis.pipeline();
    for (const [cam, n] of fpsCount) {
      p.hset(ctx.keys.cameraStatus(cam), 'fpsDetect', (n / dt).toFixed(2));
      if (n === 0) {
        fpsCount.delete(cam);
      } else {
        fpsCount.set(cam, 0);
      }
    }
    p.exec().catch((err: Error) => log.debug({ err: err.message }, 'fpsDetect update failed'));
  }, 1000);
  fpsTimer.unref();

  const load = async (): Promise<void> => {
    try {
      const next = await createDetector(ctx, (t, n) => {
        const model = modelName();
        m.inferenceSeconds.observe({ model }, t.inferMs / 1000);
        m.workerSeconds.inc({ model, step: 'pre' }, t.preMs / 1000);
        m.workerSeconds.inc({ model, step: 'infer' }, t.inferMs / 1000);
        m.workerSeconds.inc({ model, step: 'post' }, t.postMs / 1000);
        m.batchSize.observe({ model: modelName() }, n);
      });
      if (closed) {
        await next.close();
        return;
      }
      const prev = detector;
      detector = next;
      modelProblem = undefined;
      // Enough frames in flight to fill every worker's batch, plus one per worker being fetched from Redis.
      worker.concurrency = next.workers * next.batchSize + next.workers;
      if (!worker.isRunning()) {
        worker.run().catch((err: Error) => log.error({ err: err.message }, 'frames worker stopped'));
      }
      await prev?.close();
    } catch (err) {
      modelProblem = `detect: ${(err as Error).message}`;
      log.error({ err: (err as Error).message }, 'detector not loaded; retrying in 30 s');
      if (!closed) {
        retryTimer = setTimeout(() => void load(), 30_000);
        retryTimer.unref();
      }
    }
  };

  try {
    faceStage = await createFaceStage(ctx);
  } catch (err) {
    log.error({ err: (err as Error).message }, 'face stage not started');
  }
  void load();

  const onConfig = (next: VigilConfig, prev: VigilConfig) => {
    if (JSON.stringify(next.models) !== JSON.stringify(prev.models) || JSON.stringify(next.detect) !== JSON.stringify(prev.detect)) {
      log.info('detector settings changed: reloading the model');
      void load();
    }
  };
  ctx.on('config', onConfig);

  const close = onceClose([
    () => {
      closed = true;
      ctx.off('config', onConfig);
      clearInterval(fpsTimer);
      if (retryTimer) {
        clearTimeout(retryTimer);
      }
    },
    // Stop taking frames; BullMQ waits for the jobs in flight.
    () => worker.close(),
    () => detector?.close(),
    () => faceStage?.close(),
  ]);
  return {
    readiness: () => [...(modelProblem ? [modelProblem] : []), ...(faceStage?.readiness() ?? [])],
    close,
  };
}
