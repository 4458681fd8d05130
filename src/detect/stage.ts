/**
 * The detect stage: a BullMQ worker on the frames queue feeding the detector pool. Per ticket (see
 * ingest/frame-admission.ts): bind the camera's newest frame (from this process's memory, or asked of the ingest process
 * that holds it), drop it when older than `detect.maxFrameAgeMs`, detect, run the face stage for cameras with faces
 * enabled, keep the pixels for the camera's tracker (this process's memory, handed over directly when it tracks the
 * camera, else held for a tracker elsewhere to ask for: pixel-server.ts), XADD the DetectionResult to the camera's
 * detections stream, count and time it.
 */
import { basename } from 'node:path';
import { Worker, type Job } from 'bullmq';
import type Redis from 'ioredis';
import type { VigilConfig } from '../config/schema';
import { onceClose, type Context } from '../config/context';
import type { CamerasInEffect } from '../config/cameras-in-effect';
import { corkUntilCheckPhase } from '../core/cork';
import type { FaceRunner } from '../core/face-runner';
import { releaseFrame } from '../core/frame-pool';
import type { Logger } from '../core/logger';
import { detectMetrics, type DetectMetrics } from '../core/metrics';
import { isFrameTicket, type DetectionResult, type FrameTicket } from '../core/types';
import type { BoundFrame } from '../core/local-frames';
import { PixelServer } from './pixel-server';
import { RemoteFrames } from './remote-frames';
import { Slots } from './slots';
import type { Detector } from './detector';
import type { BatchTimings } from './inference-worker';

/**
 * A camera's detections stream keeps its last `detect.fps` × this many results (at least DETECTIONS_KEPT_MIN): a
 * minute at the configured rate, longer when fewer frames are detected. Kept by count, not age, so Redis memory is
 * set by the configuration (cameras × detect.fps × 60 results) and does not follow the detection rate as the load
 * on the detectors changes.
 */
const DETECTIONS_KEPT_SECONDS = 60;
const DETECTIONS_KEPT_MIN = 30;


/** Loads the configured model on the detector pool (src/detect/create-detector.ts; tests may pass a stand-in). */
export type DetectorFactory = (ctx: Context, onBatch?: (timings: BatchTimings, size: number) => void) => Promise<Detector>;

/** What the detect stage works with besides the process's context. */
export interface DetectStageDeps {
  createDetector: DetectorFactory;
  /** The cameras in effect (file and API changes): whether to look for faces, how long a frame lives in Redis. */
  cameras: CamerasInEffect;
  /** The face stage run on frames of cameras with faces on (none: faces are never looked for). */
  faces?: FaceRunner;
}

/**
 * The detect stage of one process. `start()` never throws for a bad or missing model: readiness says why and loading
 * is retried. The stage starts and stops the cameras in effect and the face stage it is given: the face stage
 * stops only once the worker has finished the frames in flight.
 */
export class DetectStage {
  private readonly log: Logger;
  private readonly m: DetectMetrics;
  private readonly redis: Redis;
  private readonly bullConn: Redis;
  private readonly remote: RemoteFrames;
  /** Pixels held for trackers in other processes, and their server. */
  private readonly held: PixelServer;
  private readonly worker: Worker<FrameTicket>;
  /** A frame is bound only when an inference can start on it (see slots.ts). */
  private readonly slots = new Slots(1);
  private readonly fpsCount = new Map<string, number>();
  private detector: Detector | undefined;
  private modelProblem: string | undefined = 'detect: model loading';
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private fpsTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly onConfig = (next: VigilConfig, prev: VigilConfig): void => {
    if (JSON.stringify(next.models) !== JSON.stringify(prev.models) || JSON.stringify(next.detect) !== JSON.stringify(prev.detect)) {
      this.log.info('detector settings changed: reloading the model');
      void this.load();
    }
  };

  /** Opens the stage's Redis connections (closed with the context) and its worker, not yet running. */
  constructor(
    private readonly ctx: Context,
    private readonly deps: DetectStageDeps,
  ) {
    this.log = ctx.log.child({ stage: 'detect' });
    this.m = detectMetrics(ctx.metrics);
    this.redis = ctx.redis('detect');
    this.bullConn = ctx.redis('detect-bull', { maxRetriesPerRequest: null });
    this.remote = new RemoteFrames(this.redis, ctx.redis('detect-frames', { maxRetriesPerRequest: null }), ctx.keys, ctx.instanceId, this.log);
    this.held = new PixelServer(this.redis, ctx.redis('detect-pixels', { maxRetriesPerRequest: null }), ctx.keys, ctx.instanceId, deps.cameras, this.log);
    this.worker = new Worker<FrameTicket>(ctx.keys.queues.frames, (job) => this.processJob(job), {
      connection: this.bullConn,
      prefix: ctx.keys.bullPrefix,
      autorun: false,
      concurrency: 2,
      // A frame is worth nothing after maxFrameAgeMs: never retry a stalled one for long.
      maxStalledCount: 1,
    });
    this.worker.on('error', (err) => this.log.error({ err: err.message }, 'frames worker error'));
    this.worker.on('failed', (job, err) => this.log.warn({ job: job?.id, err: err.message }, 'frame failed'));
  }

  /** Reads the cameras in effect, starts the face stage when one has faces on, and starts loading the model. */
  async start(): Promise<void> {
    const { cameras, faces } = this.deps;
    // fpsDetect about once a second, for every camera seen in the last window (0 once when it stops).
    let lastFps = Date.now();
    this.fpsTimer = setInterval(() => {
      const now = Date.now();
      this.writeFps((now - lastFps) / 1000);
      lastFps = now;
    }, 1000);
    this.fpsTimer.unref();
    // Frames kept for a tracker that stopped or lost the camera meanwhile go back to their pool; so do frames held
    // for a tracker elsewhere that never released them.
    this.sweepTimer = setInterval(() => {
      this.ctx.localFrames.sweep(5000);
      this.held.sweep(this.m);
    }, 1000);
    this.sweepTimer.unref();
    this.held.start();
    try {
      await cameras.start();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, "camera overrides not read: the config file's cameras apply");
    }
    await faces?.start().catch((err: unknown) => this.log.error({ err: (err as Error).message }, 'face stage not started'));
    void this.load();
    this.ctx.on('config', this.onConfig);
  }

  /** Empty when ready; otherwise why not (the model, the face stage's watchlist). */
  readiness(): string[] {
    return [...(this.modelProblem ? [this.modelProblem] : []), ...(this.deps.faces?.readiness() ?? [])];
  }

  /** Stops taking frames, waits for those in flight, then stops the detector, the face stage and the rest. Idempotent. */
  readonly stop = onceClose([
    () => {
      this.closed = true;
      this.ctx.off('config', this.onConfig);
      clearInterval(this.fpsTimer);
      clearInterval(this.sweepTimer);
      clearTimeout(this.retryTimer);
    },
    // Stop taking frames; BullMQ waits for the jobs in flight.
    () => this.worker.close(),
    () => this.detector?.close(),
    () => this.deps.faces?.stop(),
    () => this.deps.cameras.stop(),
    () => this.remote.close(),
    // Trackers asking after this find the frames gone (their alerts go out without a snapshot).
    () => this.held.close(),
  ]);

  private modelName(): string {
    return basename(this.ctx.config.models.detector.file);
  }

  private async processJob(job: Job<FrameTicket>): Promise<void> {
    const t: unknown = job.data;
    if (!isFrameTicket(t) || !job.id) {
      this.log.warn({ job: job.id }, 'malformed frame ticket skipped');
      return;
    }
    let release: (() => void) | undefined = await this.slots.acquire();
    const pickedAt = Date.now();
    const local = t.owner === this.ctx.instanceId;
    const bound = local ? (this.ctx.localFrames.bind(t.camera, job.id) ?? 'no_frame') : await this.remote.request(t, job.id);
    if (typeof bound === 'string') {
      release();
      this.m.droppedTotal.inc({ camera: t.camera, reason: bound });
      return;
    }
    try {
      await this.detectFrame(bound, pickedAt, () => {
        release?.();
        release = undefined;
      });
    } finally {
      release?.();
      // A frame of this process's ingest: its camera may admit the next one now.
      if (local) {
        // The frame's own camera: this process's ingest may have served another camera with the ticket.
        this.ctx.localFrames.done(bound.camera, bound.key);
      }
    }
  }

  /** `inferred` is called as soon as the inference is done (its slot goes to the next ticket). */
  private async detectFrame(f: BoundFrame, pickedAt: number, inferred: () => void): Promise<void> {
    const det = this.detector;
    if (pickedAt - f.capturedAt > this.ctx.config.detect.maxFrameAgeMs || !det) {
      this.m.droppedTotal.inc({ camera: f.camera, reason: det ? 'stale' : 'no_model' });
      releaseFrame(f.pixels);
      return;
    }
    let kept = false;
    try {
      const { result, inferredAt } = await this.detectPixels(f, det, pickedAt, inferred);
      const publishedAt = this.publish(f, result);
      kept = true;
      this.count(f, pickedAt, inferredAt, publishedAt);
    } finally {
      if (!kept) {
        releaseFrame(f.pixels);
      }
    }
  }

  /** Detects one frame and, for a camera with faces on, runs the face stage on it. */
  private async detectPixels(f: BoundFrame, det: Detector, pickedAt: number, inferred: () => void): Promise<{ result: DetectionResult; inferredAt: number }> {
    const faces = this.deps.faces?.running === true && this.deps.cameras.get(f.camera)?.faces.enabled === true ? this.deps.faces : undefined;
    // The pixels stay ours (frame-pool slots are read by the inference thread through shared memory, not copied):
    // the face stage and the tracker may still need them.
    let out;
    try {
      out = await det.detect({ pixels: f.pixels, width: f.width, height: f.height, transfer: false });
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
      model: this.modelName(),
      detections: out.detections,
    };
    if (faces) {
      try {
        result.faces = await faces.process({ camera: f.camera, seq: f.seq, width: f.width, height: f.height, pixels: f.pixels }, out.detections);
      } catch (err) {
        this.log.warn({ camera: f.camera, err: (err as Error).message }, 'face stage failed on a frame');
      }
    }
    return { result, inferredAt };
  }

  /**
   * Keeps the pixels where the camera's tracker reads them (this process's memory either way, see the module
   * comment) and XADDs the result. Answers when it was published.
   */
  private publish(f: BoundFrame, result: DetectionResult): number {
    const { ctx, bullConn, m } = this;
    // No pixels written to Redis: the tracker of this process takes them directly; a tracker elsewhere asks for the
    // few it needs (snapshots, live frames) and releases the rest. Writing every frame's pixels (0.9 MB at 640x480)
    // was the largest per-frame cost of the main thread and of Redis (vigil bench, BENCHMARKS.md).
    if (ctx.roles.has('track') && ctx.leases.get('track', f.camera)?.valid) {
      ctx.localFrames.keep(f.key, f.pixels);
      result.pixels = 'local';
    } else {
      this.held.hold(f);
      result.holder = ctx.instanceId;
    }
    const publishedAt = Date.now();
    result.times.publishedAt = publishedAt;
    // Published over the worker's own connection and not awaited: BullMQ finishing this job right after joins the
    // same write (corkUntilCheckPhase); Redis still runs the XADD first. A failed XADD loses only this frame's
    // detections: counted and logged, like a frame that failed.
    corkUntilCheckPhase(bullConn);
    // A tracker (or one taking over) needs the last seconds; the stream holds at least a minute (see DETECTIONS_KEPT_SECONDS).
    const fps = this.deps.cameras.get(f.camera)?.detect.fps ?? 5;
    const keep = String(Math.max(DETECTIONS_KEPT_MIN, Math.ceil(fps * DETECTIONS_KEPT_SECONDS)));
    bullConn.xadd(ctx.keys.detections(f.camera), 'MAXLEN', '~', keep, '*', 'd', JSON.stringify(result)).catch((err: Error) => {
      m.droppedTotal.inc({ camera: f.camera, reason: 'redis_error' });
      this.log.warn({ camera: f.camera, seq: f.seq, err: err.message }, 'detections not published');
    });
    return publishedAt;
  }

  /** Counts a published frame and its latency at each hop. */
  private count(f: BoundFrame, pickedAt: number, inferredAt: number, publishedAt: number): void {
    const { m } = this;
    m.framesTotal.inc({ camera: f.camera });
    m.stageLatency.observe({ camera: f.camera, stage: 'queued' }, (f.queuedAt - f.capturedAt) / 1000);
    m.stageLatency.observe({ camera: f.camera, stage: 'picked' }, (pickedAt - f.capturedAt) / 1000);
    m.stageLatency.observe({ camera: f.camera, stage: 'inferred' }, (inferredAt - f.capturedAt) / 1000);
    m.stageLatency.observe({ camera: f.camera, stage: 'published' }, (publishedAt - f.capturedAt) / 1000);
    this.fpsCount.set(f.camera, (this.fpsCount.get(f.camera) ?? 0) + 1);
  }

  /** Writes each camera's detection rate over the last `dt` seconds (status hash and gauge). */
  private writeFps(dt: number): void {
    const p = this.redis.pipeline();
    for (const [cam, n] of this.fpsCount) {
      p.hset(this.ctx.keys.cameraStatus(cam), 'fpsDetect', (n / dt).toFixed(2));
      this.m.detectFps.set({ camera: cam }, Math.round((n / dt) * 100) / 100);
      if (n === 0) {
        this.fpsCount.delete(cam);
      } else {
        this.fpsCount.set(cam, 0);
      }
    }
    p.exec().catch((err: Error) => this.log.debug({ err: err.message }, 'fpsDetect update failed'));
  }

  /** Loads (or reloads) the model; on failure readiness says why and it is tried again in 30 s. */
  private async load(): Promise<void> {
    const { ctx, m } = this;
    try {
      const next = await this.deps.createDetector(ctx, (t, n) => {
        const model = this.modelName();
        const device = this.detector?.info.provider ?? ctx.config.models.detector.device;
        m.inferenceSeconds.observe({ model, device }, t.inferMs / 1000);
        m.workerSeconds.inc({ model, step: 'pre' }, t.preMs / 1000);
        m.workerSeconds.inc({ model, step: 'infer' }, t.inferMs / 1000);
        m.workerSeconds.inc({ model, step: 'post' }, t.postMs / 1000);
        m.batchSize.observe({ model, device }, n);
      });
      if (this.closed) {
        await next.close();
        return;
      }
      const prev = this.detector;
      this.detector = next;
      this.modelProblem = undefined;
      m.loaded.reset();
      m.loaded.set({ model: this.modelName(), device: next.info.provider }, 1);
      // A slot per frame an inference can take at once (every worker's batch); one more ticket per worker is fetched
      // from the queue ahead, waiting for a slot without a frame bound.
      this.slots.resize(next.workers * next.batchSize);
      this.worker.concurrency = next.workers * next.batchSize + next.workers;
      if (!this.worker.isRunning()) {
        this.worker.run().catch((err: Error) => this.log.error({ err: err.message }, 'frames worker stopped'));
      }
      await prev?.close();
    } catch (err) {
      this.modelProblem = `detect: ${(err as Error).message}`;
      if (!this.detector) {
        m.loaded.reset();
        m.loaded.set({ model: this.modelName(), device: ctx.config.models.detector.device }, 0);
      }
      this.log.error({ err: (err as Error).message }, 'detector not loaded; retrying in 30 s');
      if (!this.closed) {
        this.retryTimer = setTimeout(() => void this.load(), 30_000);
        this.retryTimer.unref();
      }
    }
  }
}
