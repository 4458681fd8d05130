/**
 * The detect stage: a BullMQ worker on the frames queue feeding the detector pool. Per ticket (see
 * ingest/frame-admission.ts): bind the camera's newest frame (from this process's memory, or asked of the ingest process
 * that holds it), drop it when older than `detect.maxFrameAgeMs`, detect, run the face stage for cameras with faces
 * enabled, leave the pixels where the camera's tracker can read them (this process's memory when it tracks the
 * camera, else Redis with a TTL), XADD the DetectionResult to the camera's detections stream, count and time it.
 */
import { isAbsolute, join, basename } from 'node:path';
import { existsSync } from 'node:fs';
import { Worker, type Job } from 'bullmq';
import type { VigilConfig } from '../config/schema';
import { onceClose, type Context, type StageHandle } from '../config/context';
import { CamerasInEffect } from '../config/cameras-in-effect';
import { corkUntilCheckPhase } from '../core/cork';
import { releaseFrame } from '../core/frame-pool';
import { isFrameTicket, type DetectionResult, type FrameTicket } from '../core/types';
import type { BoundFrame } from '../core/local-frames';
import { PixelSetCommand } from '../core/pixel-set';
import { RemoteFrames } from './remote-frames';
import { Slots } from './slots';
import { createFaceStage, type FaceStage } from '../faces';
import { fetchModel, findKnownModel } from '../models/registry';
import { Detector } from './detector';
import type { BatchTimings } from './inference-worker';
import { detectMetrics } from '../core/metrics';

/** Detection results stay in their camera's stream this long (ms). */
const DETECTIONS_KEPT_MS = 60_000;

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
  const remote = new RemoteFrames(redis, ctx.redis('detect-frames', { maxRetriesPerRequest: null }), ctx.keys, ctx.instanceId, log);
  let detector: Detector | undefined;
  let modelProblem: string | undefined = 'detect: model loading';
  let faceStage: FaceStage | undefined;
  let faceStarting: Promise<void> | undefined;
  /** The cameras in effect (file and API changes): whether to look for faces, how long a frame lives in Redis. */
  const cameras = new CamerasInEffect(ctx, 'detect');
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;
  const fpsCount = new Map<string, number>();
  const modelName = () => basename(ctx.config.models.detector.file);
  /** A frame is bound only when an inference can start on it (see slots.ts). */
  const slots = new Slots(1);

  const worker = new Worker<FrameTicket>(ctx.keys.queues.frames, (job) => processJob(job), {
    connection: bullConn,
    prefix: ctx.keys.bullPrefix,
    autorun: false,
    concurrency: 2,
    // A frame is worth nothing after maxFrameAgeMs: never retry a stalled one for long.
    maxStalledCount: 1,
  });
  worker.on('error', (err) => log.error({ err: err.message }, 'frames worker error'));
  worker.on('failed', (job, err) => log.warn({ job: job?.id, err: err.message }, 'frame failed'));

  async function processJob(job: Job<FrameTicket>): Promise<void> {
    const t: unknown = job.data;
    if (!isFrameTicket(t) || !job.id) {
      log.warn({ job: job.id }, 'malformed frame ticket skipped');
      return;
    }
    let release: (() => void) | undefined = await slots.acquire();
    const pickedAt = Date.now();
    const local = t.owner === ctx.instanceId;
    const bound = local ? (ctx.localFrames.bind(t.camera, job.id) ?? 'no_frame') : await remote.request(t, job.id);
    if (typeof bound === 'string') {
      release();
      m.droppedTotal.inc({ camera: t.camera, reason: bound });
      return;
    }
    try {
      await detectFrame(bound, pickedAt, () => {
        release?.();
        release = undefined;
      });
    } finally {
      release?.();
      // A frame of this process's ingest: its camera may admit the next one now.
      if (local) {
        ctx.localFrames.done(t.camera, bound.key);
      }
    }
  }

  /** `inferred` is called as soon as the inference is done (its slot goes to the next ticket). */
  async function detectFrame(f: BoundFrame, pickedAt: number, inferred: () => void): Promise<void> {
    const det = detector;
    if (pickedAt - f.capturedAt > ctx.config.detect.maxFrameAgeMs || !det) {
      m.droppedTotal.inc({ camera: f.camera, reason: det ? 'stale' : 'no_model' });
      releaseFrame(f.pixels);
      return;
    }
    let kept = false;
    try {
      kept = await detectPixels(f, det, f.pixels, pickedAt, inferred);
    } finally {
      if (!kept) {
        releaseFrame(f.pixels);
      }
    }
  }

  /** Detects one frame and publishes the result; true when the pixels were kept for this process's tracker. */
  async function detectPixels(f: BoundFrame, det: Detector, pixels: Buffer, pickedAt: number, inferred: () => void): Promise<boolean> {
    const faces = faceStage !== undefined && cameras.get(f.camera)?.faces.enabled === true;
    // The pixels stay ours (frame-pool slots are read by the inference thread through shared memory, not copied):
    // the face stage and the tracker may still need them.
    let out;
    try {
      out = await det.detect({ pixels, width: f.width, height: f.height, transfer: false });
    } finally {
      inferred();
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
    // Where the tracker reads the pixels: this process's memory when its track stage holds the camera (nothing
    // written), else Redis with a TTL (the tracker deletes them once the frame is processed).
    let kept = false;
    if (ctx.roles.has('track') && ctx.leases.get('track', f.camera)?.valid) {
      ctx.localFrames.keep(f.key, pixels);
      result.pixels = 'local';
      kept = true;
    } else {
      const ttlMs = Math.round((cameras.get(f.camera)?.frameTtlSeconds ?? 30) * 1000);
      corkUntilCheckPhase(bullConn);
      // The socket may still be sending the pixels after this returns: the slot goes back once Redis answered.
      kept = true;
      (bullConn.sendCommand(new PixelSetCommand(f.key, pixels, ttlMs)) as Promise<unknown>).then(
        () => releaseFrame(pixels),
        (err: Error) => {
          releaseFrame(pixels);
          log.debug({ err: err.message }, 'frame pixels not stored');
        },
      );
      result.pixels = 'redis';
    }
    const publishedAt = Date.now();
    result.times.publishedAt = publishedAt;
    // Published over the worker's own connection and not awaited: BullMQ finishing this job right after joins the
    // same write (corkUntilCheckPhase); Redis still runs the XADD first. A failed XADD loses only this frame's
    // detections: counted and logged, like a frame that failed.
    corkUntilCheckPhase(bullConn);
    // Kept by age, not count: a tracker (or one taking over) needs the last seconds, and Redis memory stays flat at
    // any frame rate from the first minute on (a count of 1000 took 5 minutes to fill at 3 fps a camera).
    const minId = `${publishedAt - DETECTIONS_KEPT_MS}-0`;
    bullConn.xadd(ctx.keys.detections(f.camera), 'MINID', '~', minId, '*', 'd', JSON.stringify(result)).catch((err: Error) => {
      m.droppedTotal.inc({ camera: f.camera, reason: 'redis_error' });
      log.warn({ camera: f.camera, seq: f.seq, err: err.message }, 'detections not published');
    });
    m.framesTotal.inc({ camera: f.camera });
    m.stageLatency.observe({ camera: f.camera, stage: 'queued' }, (f.queuedAt - f.capturedAt) / 1000);
    m.stageLatency.observe({ camera: f.camera, stage: 'picked' }, (pickedAt - f.capturedAt) / 1000);
    m.stageLatency.observe({ camera: f.camera, stage: 'inferred' }, (inferredAt - f.capturedAt) / 1000);
    m.stageLatency.observe({ camera: f.camera, stage: 'published' }, (publishedAt - f.capturedAt) / 1000);
    fpsCount.set(f.camera, (fpsCount.get(f.camera) ?? 0) + 1);
    return kept;
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
      m.detectFps.set({ camera: cam }, Math.round((n / dt) * 100) / 100);
      if (n === 0) {
        fpsCount.delete(cam);
      } else {
        fpsCount.set(cam, 0);
      }
    }
    p.exec().catch((err: Error) => log.debug({ err: err.message }, 'fpsDetect update failed'));
  }, 1000);
  fpsTimer.unref();
  // Frames kept for a tracker that stopped or lost the camera meanwhile go back to their pool.
  const sweepTimer = setInterval(() => ctx.localFrames.sweep(5000), 1000);
  sweepTimer.unref();

  const load = async (): Promise<void> => {
    try {
      const next = await createDetector(ctx, (t, n) => {
        const model = modelName();
        const device = detector?.info.provider ?? ctx.config.models.detector.device;
        m.inferenceSeconds.observe({ model, device }, t.inferMs / 1000);
        m.workerSeconds.inc({ model, step: 'pre' }, t.preMs / 1000);
        m.workerSeconds.inc({ model, step: 'infer' }, t.inferMs / 1000);
        m.workerSeconds.inc({ model, step: 'post' }, t.postMs / 1000);
        m.batchSize.observe({ model, device }, n);
      });
      if (closed) {
        await next.close();
        return;
      }
      const prev = detector;
      detector = next;
      modelProblem = undefined;
      m.loaded.reset();
      m.loaded.set({ model: modelName(), device: next.info.provider }, 1);
      // A slot per frame an inference can take at once (every worker's batch); one more ticket per worker is fetched
      // from the queue ahead, waiting for a slot without a frame bound.
      slots.resize(next.workers * next.batchSize);
      worker.concurrency = next.workers * next.batchSize + next.workers;
      if (!worker.isRunning()) {
        worker.run().catch((err: Error) => log.error({ err: err.message }, 'frames worker stopped'));
      }
      await prev?.close();
    } catch (err) {
      modelProblem = `detect: ${(err as Error).message}`;
      if (!detector) {
        m.loaded.reset();
        m.loaded.set({ model: modelName(), device: ctx.config.models.detector.device }, 0);
      }
      log.error({ err: (err as Error).message }, 'detector not loaded; retrying in 30 s');
      if (!closed) {
        retryTimer = setTimeout(() => void load(), 30_000);
        retryTimer.unref();
      }
    }
  };

  /** Starts the face stage once a camera in effect has faces on (at start, or when one is switched on later). */
  const startFaces = (): Promise<void> => {
    if (faceStage || closed || !cameras.list().some((c) => c.faces.enabled)) {
      return Promise.resolve();
    }
    faceStarting ??= createFaceStage(ctx, cameras).then(
      async (s) => {
        if (closed) {
          await s?.close();
          return;
        }
        faceStage = s;
      },
      (err: unknown) => log.error({ err: (err as Error).message }, 'face stage not started'),
    ).finally(() => {
      faceStarting = undefined;
    });
    return faceStarting;
  };
  try {
    await cameras.start();
  } catch (err) {
    log.error({ err: (err as Error).message }, 'camera overrides not read: the config file\'s cameras apply');
  }
  cameras.onChange(() => void startFaces());
  await startFaces();
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
      clearInterval(sweepTimer);
      if (retryTimer) {
        clearTimeout(retryTimer);
      }
    },
    // Stop taking frames; BullMQ waits for the jobs in flight.
    () => worker.close(),
    () => detector?.close(),
    () => faceStarting,
    () => faceStage?.close(),
    () => cameras.stop(),
    () => remote.close(),
  ]);
  return {
    readiness: () => [...(modelProblem ? [modelProblem] : []), ...(faceStage?.readiness() ?? [])],
    close,
  };
}
