import { createWriteStream, type WriteStream } from 'node:fs';
import type Redis from 'ioredis';
import { CamerasInEffect } from '../config/cameras-in-effect';
import { CameraOwnership, type OwnershipLeases } from '../config/camera-ownership';
import { onceClose, type Context, type StageHandle } from '../config/context';
import type { CameraConfig, VigilConfig } from '../config/schema';
import type { Logger } from '../core/logger';
import { cameraStateMessageSchema, decodeMessage } from '../core/message-schemas';
import { messageMetrics, trackMetrics } from '../core/metrics';
import type { DetectionResult } from '../core/types';
import { AlertStore } from '../alerts';
import { CameraWorker, type CameraWorkerHooks } from './camera-worker';
import { DetectionsReader } from './detections-reader';
import { HeldPixels } from './held-pixels';

/** What the track stage works with. Only `ctx` is required; the others default to the context's. */
export interface TrackStageDeps {
  ctx: Context;
  /** The process's camera leases. @defaultValue ctx.leases */
  leases?: OwnershipLeases;
  /** The cameras in effect (file + API overrides). @defaultValue a CamerasInEffect of its own */
  cameras?: CamerasInEffect;
}

/**
 * The track stage: per camera a lease (`keys.lease('track', camera)`, config/camera-ownership.ts); for owned cameras
 * the {@link DetectionsReader} XREADs `keys.detections(camera)` and a {@link CameraWorker} reorders, tracks,
 * evaluates rules and writes alerts. A process that dies loses its leases within `instance.leaseSeconds`; another
 * continues from the state in `keys.trackState(camera)` (the whole engine, saved with every alert write and every
 * tick, and the stream position it reflects). A lease that is lost stops its worker before the camera can be taken
 * again here; while a lease is unconfirmed (renewal late) its worker pauses. Rules reload on `ctx.on('config')` and
 * on camera overrides (config/cameras-in-effect.ts) without a restart.
 */
export class TrackStage {
  private readonly ctx: Context;
  private readonly log: Logger;
  /** Alert writes queued while Redis is away are sent when it returns, never failed after a number of retries. */
  private readonly cmd: Redis;
  private readonly sub: Redis;
  private readonly reader: Redis;
  /** Pixels held by detect processes elsewhere (snapshots, live frames of their frames). */
  private readonly held: HeldPixels;
  private config: VigilConfig;
  private store: AlertStore;
  private readonly metrics: ReturnType<typeof trackMetrics>;
  private readonly invalid: ReturnType<typeof messageMetrics>['invalid'];
  private recorder: WriteStream | undefined;
  private readonly hooks: CameraWorkerHooks;
  private readonly cameras: CamerasInEffect;
  private readonly ownership: CameraOwnership<CameraWorker>;
  private readonly detections: DetectionsReader;
  /** Cameras someone watches (GET frame.jpg, the live view): their live frames are rendered. */
  private readonly watched = new Set<string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private closing = false;
  private ready = false;
  private readonly onConfig = (next: VigilConfig): void => this.configChanged(next);

  constructor(deps: TrackStageDeps) {
    const ctx = deps.ctx;
    this.ctx = ctx;
    this.log = ctx.log.child({ stage: 'track' });
    this.cmd = ctx.redis('track', { maxRetriesPerRequest: null });
    this.reader = ctx.redis('track-read', { maxRetriesPerRequest: null });
    this.sub = ctx.redis('track-sub');
    this.held = new HeldPixels(this.cmd, ctx.redis('track-pixels', { maxRetriesPerRequest: null }), ctx.keys, ctx.instanceId, this.log);
    this.config = ctx.config;
    this.store = this.alertStore(this.config);
    this.metrics = trackMetrics(ctx.metrics);
    this.invalid = messageMetrics(ctx.metrics).invalid;
    this.hooks = this.workerHooks();
    this.cameras = deps.cameras ?? new CamerasInEffect(ctx, 'track');
    this.ownership = new CameraOwnership<CameraWorker>({
      stage: 'track',
      leases: deps.leases ?? ctx.leases,
      leaseKey: (id) => ctx.keys.lease('track', id),
      cameras: this.cameras,
      log: this.log,
      workers: {
        start: (cam) => this.startWorker(cam),
        // Taken: another process owns the camera, nothing more from this worker reaches Redis. Otherwise (removed,
        // stopping): flush, end its alerts, save the state.
        stop: (w, id, why) => (why === 'taken' ? w.abandon() : w.close(true).catch((err) => this.log.error({ err, camera: id }, 'close failed'))),
        pause: (w) => {
          w.suspended = true;
        },
        resume: (w) => {
          w.suspended = false;
        },
        update: (w, cam) => w.configure(this.config, cam),
      },
    });
    this.detections = new DetectionsReader({
      reader: this.reader,
      keys: ctx.keys,
      log: this.log,
      workers: () => this.ownership.workers(),
      badMessage: (message, error, camera) => this.badMessage(message, error, camera),
    });
  }

  /** Starts the stage; resolves once the cameras free now are tracked (their workers resumed). */
  async start(): Promise<StageHandle> {
    if (this.config.alerts.recordFile) {
      this.recorder = createWriteStream(this.config.alerts.recordFile, { flags: 'a' });
      this.recorder.on('error', (err) => this.log.error({ err }, 'record file write failed'));
    }
    // Camera state changes (camera_down).
    this.sub.on('message', (channel: string, message: string) => this.onMessage(channel, message));
    await this.sub.subscribe(this.ctx.keys.channels.camera);
    await this.cameras.start();
    // After the cameras' own listener: the re-read started here is the newest, so it applies the new file.
    this.ctx.on('config', this.onConfig);
    await this.ownership.start();
    this.ready = true;
    this.startTimers();
    this.detections.start();
    return { readiness: () => this.readiness(), close: () => this.stop() };
  }

  /** Every worker flushes, ends its alerts and saves its state, then its lease is released. Idempotent. */
  readonly stop = onceClose([
    () => {
      this.closing = true;
      this.timers.forEach((t) => clearInterval(t));
      this.ctx.off('config', this.onConfig);
    },
    () => this.detections.stop(),
    () => this.ownership.stop(),
    () => this.cameras.stop(),
    // After the workers: their last frames' releases go with it.
    () => this.held.close(),
    () => (this.recorder ? new Promise<void>((resolve) => this.recorder!.end(() => resolve())) : undefined),
    () => this.sub.quit().catch(() => this.sub.disconnect()),
    () => this.reader.quit().catch(() => this.reader.disconnect()),
  ]);

  readiness(): string[] {
    const reasons = !this.ready ? ['starting'] : this.cmd.status === 'ready' ? [] : [`redis ${this.cmd.status}`];
    return [...reasons, ...this.ownership.readiness()];
  }

  private async startWorker(cam: CameraConfig): Promise<CameraWorker | undefined> {
    if (this.closing) {
      return undefined;
    }
    const { ctx, config } = this;
    const fence = { key: ctx.keys.lease('track', cam.id), owner: ctx.instanceId };
    const w = new CameraWorker(cam, config, this.cmd, ctx.keys, this.store, this.log.child({ camera: cam.id }), this.hooks, config.alerts.snapshotQuality, fence);
    await w.resume();
    this.log.info({ camera: cam.id }, 'tracking camera');
    return w;
  }

  private configChanged(next: VigilConfig): void {
    this.config = next;
    this.store = this.alertStore(next);
    this.cameras
      .refresh()
      .then(() => this.ownership.apply())
      .then(
        () => this.log.info({ rules: next.rules.length }, 'rules reloaded'),
        (err: unknown) => this.log.error({ err }, 'config reload failed'),
      );
  }

  private alertStore(config: VigilConfig): AlertStore {
    return new AlertStore(this.cmd, this.ctx.keys, { maxEvents: config.alerts.maxEvents, maxAgeSeconds: config.alerts.maxAgeSeconds });
  }

  /** A message from another stage that is not what it should be: counted, logged, skipped. */
  private badMessage(message: string, error: string, camera?: string): void {
    this.invalid.inc({ stage: 'track', message });
    this.log.warn({ camera, error }, 'invalid message skipped');
  }

  private onMessage(channel: string, message: string): void {
    if (channel !== this.ctx.keys.channels.camera) {
      return;
    }
    const s = decodeMessage(cameraStateMessageSchema, message, 'camera state message');
    if (s.ok) {
      this.ownership.workers().get(s.value.camera)?.engine.onCameraState(s.value);
    } else {
      this.badMessage('camera_state', s.error);
    }
  }

  private workerHooks(): CameraWorkerHooks {
    const m = this.metrics;
    return {
      onAlert: (c, latencyMs) => {
        m.alertsTotal.inc({ camera: c.alert.camera, rule: c.alert.rule, type: c.alert.type, event: c.event });
        if (c.event === 'start') {
          m.stageLatency.observe({ camera: c.alert.camera, stage: 'alert' }, latencyMs / 1000);
        }
      },
      onLate: (camera, n) => m.lateFrames.inc({ camera }, n),
      onTracked: (camera, tracks, created, latencyMs) => {
        m.framesTotal.inc({ camera });
        m.tracks.set({ camera }, tracks);
        if (created > 0) {
          m.tracksCreated.inc({ camera }, created);
        }
        m.stageLatency.observe({ camera, stage: 'tracked' }, latencyMs / 1000);
      },
      frames: this.ctx.localFrames,
      held: this.held,
      liveWanted: (camera) => this.watched.has(camera),
      record: (r: DetectionResult) => void this.recorder?.write(`${JSON.stringify(r)}\n`),
    };
  }

  /** Ticks (500 ms), which cameras are watched (1 s), alert retention (at most once a minute). */
  private startTimers(): void {
    const workers = () => this.ownership.workers();
    this.timers.push(
      setInterval(() => {
        for (const w of workers().values()) {
          if (!w.suspended) {
            void w.tick().catch(() => undefined);
          }
        }
      }, 500),
    );
    this.timers.push(setInterval(() => this.refreshWatched([...workers().keys()]), 1000));
    let trimAt = 0;
    this.timers.push(
      setInterval(() => {
        if (Date.now() >= trimAt && workers().size > 0) {
          trimAt = Date.now() + 60_000;
          void this.store.trim().catch((err) => this.log.warn({ err }, 'alert retention trim failed'));
        }
      }, 5000),
    );
  }

  private refreshWatched(ids: string[]): void {
    if (ids.length === 0) {
      this.watched.clear();
      return;
    }
    const p = this.cmd.pipeline();
    ids.forEach((id) => p.exists(this.ctx.keys.liveWanted(id)));
    p.exec().then(
      (res) => {
        this.watched.clear();
        ids.forEach((id, i) => {
          if (res?.[i]?.[1] === 1) {
            this.watched.add(id);
          }
        });
      },
      () => undefined,
    );
  }
}
