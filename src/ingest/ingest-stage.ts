import path from 'node:path';
import type Redis from 'ioredis';
import type { CameraConfig, VigilConfig } from '../config/schema';
import { CamerasInEffect } from '../config/cameras-in-effect';
import { CameraOwnership, type CameraClaim, type OwnershipLeases, type WorkerStopReason } from '../config/camera-ownership';
import { onceClose, type Context, type StageHandle } from '../config/context';
import { raiseFramePools } from '../core/frame-pool';
import type { Logger } from '../core/logger';
import { CameraSupervisor } from './camera-supervisor';
import { inputKind } from './ffmpeg-args';
import { warmFfmpegCapabilities } from './ffmpeg-process';
import { FrameAdmission } from './frame-admission';
import { ingestMetrics, removeCameraSeries } from './metrics';
import { LiveRawFrames } from './live-frames';
import type { RestartPolicyOptions } from './restart-policy';
import { CameraRecorder } from './recorder';
import { RecordingSpace } from './recording-space';
import { cameraRecording } from './recorder-args';

/** Options of the ingest stage (tests shorten the timings). */
export interface IngestOptions {
  /** Backoff settings of every camera. */
  restart?: RestartPolicyOptions;
  /** Path of the ffmpeg binary. @defaultValue 'ffmpeg' */
  ffmpegPath?: string;
  /** SIGKILL ffmpeg this long after SIGTERM when stopping (ms). @defaultValue 1500 */
  killGraceMs?: number;
}

/** A running ingest stage. */
export interface IngestHandle extends StageHandle {
  /** The supervisors of the cameras this process owns now (tests, the soak benchmark). */
  supervisors(): Map<string, CameraSupervisor>;
  /** Re-reads config + overrides and applies the differences now; resolves when done. */
  reconcile(): Promise<void>;
}

/** What the ingest stage works with. Only `ctx` is required; the others default to the context's. */
export interface IngestStageDeps {
  ctx: Context;
  options?: IngestOptions;
  /** The process's camera leases. @defaultValue ctx.leases */
  leases?: OwnershipLeases;
  /** The cameras in effect (file + API overrides). @defaultValue a CamerasInEffect of its own */
  cameras?: CamerasInEffect;
}

/** One camera ingested here: its FFmpeg's supervisor and the configuration it was started with. */
interface Running {
  config: CameraConfig;
  json: string;
  sup: CameraSupervisor;
}

/**
 * Pure: what ingest compares to decide whether a changed camera's FFmpeg restarts: everything but its zones and
 * lines, which only the tracker uses (the zone editor saves them without a gap in the stream).
 */
export function ingestJson(cam: CameraConfig): string {
  return JSON.stringify({ ...cam, zones: undefined, lines: undefined });
}

/**
 * The ingest stage: one supervisor (one ffmpeg) per camera this process holds the ingest lease of
 * (config/camera-ownership.ts). The cameras are the cameras in effect (config file + API overrides,
 * config/cameras-in-effect.ts); a change (SIGHUP reload, `keys.channels.config`) adds, restarts or removes only the
 * cameras that changed. A lease that is lost stops the camera's ffmpeg before the camera can be taken again; while a
 * lease is unconfirmed (renewal late) frames are dropped (reason `lease`) but ffmpeg keeps running, so a confirmed
 * lease resumes without a reconnect.
 */
export class IngestStage {
  private readonly ctx: Context;
  private readonly options: IngestOptions;
  private readonly log: Logger;
  private readonly redis: Redis;
  private readonly metrics: ReturnType<typeof ingestMetrics>;
  private readonly frames: FrameAdmission;
  private readonly live: LiveRawFrames;
  private readonly space: RecordingSpace;
  private readonly cameras: CamerasInEffect;
  private readonly ownership: CameraOwnership<Running>;
  private closed = false;
  private readonly onConfig = (next: VigilConfig, previous: VigilConfig): void => this.configChanged(next, previous);

  constructor(deps: IngestStageDeps) {
    const ctx = deps.ctx;
    this.ctx = ctx;
    this.options = deps.options ?? {};
    this.log = ctx.log.child({ stage: 'ingest' });
    this.redis = ctx.redis('ingest');
    this.metrics = ingestMetrics(ctx.metrics);
    // Frames stay in this process until a detect worker binds one (see frame-admission.ts).
    this.frames = new FrameAdmission({
      redis: this.redis,
      queueRedis: ctx.redis('ingest-queue', { maxRetriesPerRequest: null }),
      serveRedis: ctx.redis('ingest-serve', { maxRetriesPerRequest: null }),
      keys: ctx.keys,
      metrics: this.metrics,
      owner: ctx.instanceId,
      local: ctx.localFrames,
      log: this.log,
    });
    // Plain live frames of the cameras ingested here, while someone watches them (frame.jpg in any deployment).
    this.live = new LiveRawFrames(this.redis, ctx.keys, this.log);
    // Every camera recorded here shares one cap (recording.maxTotalMb); each has its own (maxMbPerCamera).
    this.space = new RecordingSpace(ctx.config.recording.maxTotalMb * 1024 * 1024);
    this.cameras = deps.cameras ?? new CamerasInEffect(ctx, 'ingest');
    this.ownership = new CameraOwnership<Running>({
      stage: 'ingest',
      leases: deps.leases ?? ctx.leases,
      leaseKey: (id) => ctx.keys.lease('ingest', id),
      cameras: this.cameras,
      log: this.log,
      workers: {
        start: (cam, claim) => {
          this.log.info({ camera: cam.id }, 'camera lease taken');
          return this.startCamera(cam, claim);
        },
        stop: (r, id, why) => this.stopCamera(r, id, why),
        // A changed camera's FFmpeg restarts, unless only its zones or lines changed.
        update: (r, cam) => (ingestJson(cam) !== r.json ? 'restart' : undefined),
      },
    });
  }

  /** Starts the stage; resolves once the cameras free now stream (or are starting). */
  async start(): Promise<IngestHandle> {
    // fluent-ffmpeg's one-time capability listing, done now rather than before the first camera taken (a takeover).
    warmFfmpegCapabilities(this.options.ffmpegPath).catch((err: unknown) =>
      this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'ffmpeg could not list its formats and encoders'),
    );
    this.frames.start();
    this.live.start();
    await this.cameras.start();
    // After the cameras' own listener: the re-read started here is the newest, so it applies the new file.
    this.ctx.on('config', this.onConfig);
    await this.ownership.start();
    const running = this.ownership.workers();
    this.log.info({ cameras: [...running.keys()], waiting: this.ownership.cameras().map((c) => c.id).filter((id) => !running.has(id)) }, 'ingest started');
    return {
      supervisors: () => new Map([...this.ownership.workers()].map(([id, r]) => [id, r.sup])),
      reconcile: () => this.reconcile(),
      readiness: () => this.readiness(),
      close: () => this.stop(),
    };
  }

  /** Stops every ffmpeg, then releases its lease (a standby takes the camera at once). Idempotent. */
  readonly stop = onceClose([
    () => {
      this.closed = true;
      this.ctx.off('config', this.onConfig);
    },
    () => this.ownership.stop(),
    () => this.cameras.stop(),
    () => this.frames.close(),
    () => this.live.close(),
  ]);

  /** Re-reads config + overrides and applies the differences; resolves when done. */
  async reconcile(): Promise<void> {
    await this.cameras.refresh().catch((err: unknown) => this.log.error({ err }, 'reading the cameras in effect failed'));
    await this.ownership.apply();
  }

  /**
   * Ready when Redis answers and every camera held here streams or has a reason not to (failed, reconnecting,
   * stalled: see GET /api/cameras); not while one is still starting or its lease is unconfirmed.
   */
  readiness(): string[] {
    const reasons = this.redis.status === 'ready' ? [] : [`redis ${this.redis.status}`];
    for (const [id, r] of this.ownership.workers()) {
      if (r.sup.state === 'starting') {
        reasons.push(`camera ${id}: starting`);
      }
    }
    return [...reasons, ...this.ownership.readiness()];
  }

  private configChanged(next: VigilConfig, previous: VigilConfig): void {
    this.space.setMaxBytes(next.recording.maxTotalMb * 1024 * 1024);
    // What every camera's FFmpeg is started with changed (recording on/off, its directory or segments): each
    // running camera restarts (its size cap alone applies without a restart, at the next segment).
    const started = (c: VigilConfig) => JSON.stringify([c.recording.enabled, c.recording.dir, c.recording.segmentSeconds, c.recording.maxMbPerCamera]);
    if (started(next) !== started(previous)) {
      for (const r of this.ownership.workers().values()) {
        r.json = '';
      }
    }
    void this.reconcile();
  }

  private startCamera(cam: CameraConfig, claim: CameraClaim): Running | undefined {
    if (this.closed) {
      return undefined;
    }
    const { ctx, log, redis } = this;
    // A file read at full speed pauses ffmpeg when the queue is full instead of dropping frames.
    const pull = cam.realtime === false && ['file', 'images'].includes(inputKind(cam.url));
    let sup: CameraSupervisor | undefined;
    // Each camera holds a frame in its mailbox, up to maxInFlight being detected and a few kept for the tracker.
    raiseFramePools(16 + this.ownership.cameras().reduce((n, c) => n + c.maxInFlight + 3, 0));
    const writer = this.live.tap(
      cam.id,
      this.frames.forCamera({
        camera: cam.id,
        maxInFlight: cam.maxInFlight,
        pull,
        onReady: pull ? () => sup?.sourceReady() : undefined,
        mayWrite: () => claim.valid,
      }),
    );
    const rec = cameraRecording(cam, ctx.config.recording);
    const recorder = rec
      ? new CameraRecorder({
          camera: cam.id,
          root: path.resolve(ctx.config.recording.dir),
          segmentSeconds: rec.segmentSeconds,
          maxBytes: rec.maxBytes,
          redis,
          keys: ctx.keys,
          instance: ctx.instanceId,
          log: log.child({ camera: cam.id }),
          space: this.space,
        })
      : undefined;
    if (recorder) {
      void recorder.start();
    } else {
      redis.hdel(ctx.keys.cameraStatus(cam.id), 'recording', 'recordingSeconds', 'recordingReason').catch(() => undefined);
    }
    sup = new CameraSupervisor(cam, {
      redis,
      keys: ctx.keys,
      metrics: this.metrics,
      log: log.child({ camera: cam.id }),
      writer,
      ffmpegPath: this.options.ffmpegPath,
      restart: this.options.restart,
      recorder,
    });
    sup.start();
    return { config: cam, json: ingestJson(cam), sup };
  }

  /** Stops a camera's ffmpeg: a removed camera's state is deleted, a camera taken by another process is left alone. */
  private async stopCamera(r: Running, id: string, why: WorkerStopReason): Promise<void> {
    if (why === 'taken') {
      // Another process owns the camera: its state is theirs to write.
      this.log.warn({ camera: id }, 'camera lease lost: stopping its ffmpeg');
    }
    this.live.untap(id);
    if (why === 'removed') {
      await r.sup.remove();
      removeCameraSeries(this.metrics, id);
    } else {
      await r.sup.stop(this.options.killGraceMs, why === 'stopping' ? 'Vigil stopped ingesting it (clean shutdown)' : undefined);
    }
  }
}
