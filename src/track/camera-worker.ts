import type Redis from 'ioredis';
import type { CameraConfig, VigilConfig } from '../config/schema';
import type { Keys } from '../core/keys';
import type { LocalFrames } from '../core/local-frames';
import type { Logger } from '../core/logger';
import type { Alert, CameraStateMessage, DetectionResult, DetectionsMessage } from '../core/types';
import { AlertStore, CameraEngine, engineConfigOf as engineConfig, renderSnapshot, type AlertChange, type WriteFence } from '../alerts';
import { ReorderBuffer } from './reorder';

/** Longest wait for a missing seq before the gap is skipped (ms). */
export const REORDER_WAIT_MS = 250;

/** Hooks the stage gives a worker (metrics, recording, pixels, live view). */
export interface CameraWorkerHooks {
  onAlert(change: AlertChange, latencyMs: number): void;
  onLate(camera: string, n: number): void;
  /** A frame was tracked: objects tracked in it, track ids handed out for it, capture → tracked time. */
  onTracked?(camera: string, tracks: number, created: number, latencyMs: number): void;
  record?(result: DetectionResult): void;
  /** Pixels this process's detect stage kept (results with `pixels: 'local'`), and their release. */
  frames?: Pick<LocalFrames, 'peek' | 'release'>;
  /** Whether someone watches the camera now (its live frame is rendered while so). */
  liveWanted?(camera: string): boolean;
}

/** Live frames: at most one per this long per camera, kept in Redis this long. */
const LIVE_MIN_INTERVAL_MS = 100;
const LIVE_TTL_MS = 3000;
/** The camera's last frame (for alerts raised without one: camera_down) is rendered at most this often. */
const STILL_INTERVAL_MS = 5000;

/** State persisted in `keys.trackState(camera)` so a new owner resumes where the old one stopped. */
export interface PersistedTrackState {
  /** Last stream entry id read. */
  lastId: string;
  /** Last frame seq processed. */
  lastSeq: number;
  /** Next track id. */
  nextTrackId: number;
  /** Open alerts (ended by the next owner, which cannot continue them: its track ids differ). */
  open: Alert[];
}


/*
 * Writes the track state only while the camera's lease is held by this owner or by nobody, so a worker that lost
 * its camera never overwrites the new owner's state. KEYS: state, lease. ARGV: json, ttl s, owner.
 */
const PERSIST = `
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[3] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1
`;

/**
 * One camera owned by this process: reorders its detection results, runs the engine, writes alerts (snapshot
 * from the frame's pixels first), publishes `DetectionsMessage`s and deletes frame keys. Work is serialised per
 * camera through one promise chain. Every write is fenced by the camera's lease (`fence`): once another process
 * owns the camera, nothing this worker still has in hand reaches Redis.
 */
export class CameraWorker {
  readonly engine: CameraEngine;
  readonly reorder: ReorderBuffer<DetectionResult>;
  lastId = '$';
  /** The lease is unconfirmed: read nothing, tick nothing, until it is confirmed again or lost. */
  suspended = false;
  private chain: Promise<void> = Promise.resolve();
  private lateSeen = 0;
  private dirty = false;
  /** Set once abandoned: no further step runs. */
  private abandoned = false;
  private lastLiveAt = 0;
  /** The newest frame rendered (JPEG), kept for alerts raised without a frame (camera_down), and when. */
  private still: Buffer | undefined;
  private stillAt = 0;

  constructor(
    readonly camera: CameraConfig,
    config: VigilConfig,
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly store: AlertStore,
    private readonly log: Logger,
    private readonly hooks: CameraWorkerHooks,
    private snapshotQuality: number,
    private readonly fence?: WriteFence,
  ) {
    this.engine = new CameraEngine(engineConfig(config, camera));
    // Parallel workers finish a camera's frames at most about one inference apart; a gap that stays open longer
    // is a frame dropped upstream (backpressure, stale), so waiting longer would only add latency.
    this.reorder = new ReorderBuffer({ window: config.track.reorderWindow, maxWaitMs: REORDER_WAIT_MS });
  }

  /** Loads the previous owner's state: resume after its last entry, end its open alerts; reads the camera state. */
  async resume(): Promise<void> {
    // A concrete starting point, never '$': with several streams in one XREAD, '$' for a camera whose entry came in
    // while the reader was busy with another camera's would skip that entry (and every one like it).
    const newest = await this.redis.xrevrange(this.keys.detections(this.camera.id), '+', '-', 'COUNT', 1);
    this.lastId = newest[0]?.[0] ?? '0-0';
    const status = await this.redis.hgetall(this.keys.cameraStatus(this.camera.id));
    if (status.state && status.at) {
      this.engine.onCameraState({
        type: 'camera',
        camera: this.camera.id,
        state: status.state as CameraStateMessage['state'],
        reason: status.reason ?? '',
        at: status.at,
      });
    }
    const raw = await this.redis.get(this.keys.trackState(this.camera.id));
    if (!raw) {
      return;
    }
    try {
      const s = JSON.parse(raw) as PersistedTrackState;
      this.lastId = s.lastId || '$';
      if (Number.isFinite(s.lastSeq)) {
        this.reorder.resumeAfter(s.lastSeq);
      }
      this.engine.tracker.idCounter = s.nextTrackId;
      const now = new Date().toISOString();
      for (const a of s.open ?? []) {
        // Idempotent: an alert the previous owner (or an earlier takeover) ended already is not ended again.
        await this.store.write('end', { ...a, state: 'ended', endedAt: now, updatedAt: now }, undefined, this.fence);
      }
    } catch (err) {
      this.log.warn({ err }, 'ignoring unreadable track state');
    }
  }

  /** Applies a reloaded config. */
  configure(config: VigilConfig, camera: CameraConfig): void {
    this.snapshotQuality = config.alerts.snapshotQuality;
    this.engine.configure(engineConfig(config, camera));
  }

  /** Queues stream entries (already parsed) for processing. */
  enqueue(entries: Array<{ id: string; result: DetectionResult }>): Promise<void> {
    return this.serial(async () => {
      const now = Date.now();
      for (const e of entries) {
        this.lastId = e.id;
        this.hooks.record?.(e.result);
        for (const r of this.reorder.push(e.result, now)) {
          await this.processOne(r);
        }
      }
      this.reportLate();
      this.dirty = true;
    });
  }

  /** Timer: releases frames that waited too long for a gap, ends expired alerts, camera_down. */
  tick(): Promise<void> {
    return this.serial(async () => {
      for (const r of this.reorder.poll(Date.now())) {
        await this.processOne(r);
      }
      await this.write(this.engine.tick(Date.now()));
      if (this.dirty) {
        await this.persist();
      }
    });
  }

  /** Processes what is held, writes the state; with `endAlerts`, ends the open alerts (graceful stop). */
  close(endAlerts: boolean): Promise<void> {
    return this.serial(async () => {
      for (const r of this.reorder.flush()) {
        await this.processOne(r);
      }
      if (endAlerts) {
        await this.write(this.engine.finish(Math.max(Date.now(), this.engine.lastCapture)));
      }
      await this.persist();
    });
  }

  /**
   * Stops without writing anything more (another process owns the camera now): what is held is dropped, and steps
   * already queued do nothing.
   */
  abandon(): Promise<void> {
    this.abandoned = true;
    return this.chain;
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const p = this.chain.then(() => (this.abandoned ? undefined : fn()));
    this.chain = p.catch((err) => this.log.error({ err }, 'track worker step failed'));
    return p;
  }

  private reportLate(): void {
    if (this.reorder.late > this.lateSeen) {
      this.hooks.onLate(this.camera.id, this.reorder.late - this.lateSeen);
      this.lateSeen = this.reorder.late;
    }
  }

  private async processOne(r: DetectionResult): Promise<void> {
    try {
      const ids = this.engine.tracker.idCounter;
      const out = this.engine.process(r);
      this.hooks.onTracked?.(r.camera, out.objects.length, this.engine.tracker.idCounter - ids, Math.max(0, Date.now() - r.times.capturedAt));
      const msg: DetectionsMessage = {
        type: 'detections',
        camera: r.camera,
        seq: r.seq,
        capturedAt: new Date(r.times.capturedAt).toISOString(),
        objects: out.objects,
      };
      await this.redis.publish(this.keys.channels.detections, JSON.stringify(msg));
      if (out.changes.length > 0) {
        await this.write(out.changes, r);
      }
      if (this.hooks.liveWanted?.(this.camera.id) && Date.now() - this.lastLiveAt >= LIVE_MIN_INTERVAL_MS) {
        await this.live(r, out.objects);
      } else if (Date.now() - this.stillAt >= STILL_INTERVAL_MS) {
        await this.keepStill(r, out.objects);
      }
    } finally {
      // Nobody needs the frame's pixels once its alerts (snapshots) and live frame are written.
      this.freePixels(r);
    }
  }

  /** The pixels of a frame, wherever the detect stage left them (undefined when gone). */
  private async pixels(r: DetectionResult): Promise<Buffer | undefined> {
    // Results without `pixels` come from a detect process of an earlier version: their pixels are in Redis.
    const px = r.pixels === 'local' ? this.hooks.frames?.peek(r.frameKey) : await this.redis.getBuffer(r.frameKey);
    return px && px.length === r.width * r.height * 3 ? px : undefined;
  }

  private freePixels(r: DetectionResult): void {
    if (r.pixels === 'local') {
      this.hooks.frames?.release(r.frameKey);
    } else {
      this.redis.del(r.frameKey).catch(() => undefined);
    }
  }

  /** Renders the camera's live frame (JPEG with the tracked objects) for whoever watches it. */
  private async live(r: DetectionResult, objects: DetectionsMessage['objects']): Promise<void> {
    const px = await this.pixels(r);
    if (!px) {
      return;
    }
    this.lastLiveAt = Date.now();
    try {
      const jpeg = await renderSnapshot(px, r.width, r.height, objects, { quality: 70 });
      this.still = jpeg;
      this.stillAt = this.lastLiveAt;
      await this.redis.set(this.keys.liveFrame(this.camera.id), jpeg, 'PX', LIVE_TTL_MS);
    } catch (err) {
      this.log.debug({ err }, 'live frame not rendered');
    }
  }

  /** Renders the camera's last frame for alerts raised without one (every STILL_INTERVAL_MS at most). */
  private async keepStill(r: DetectionResult, objects: DetectionsMessage['objects']): Promise<void> {
    const px = await this.pixels(r);
    if (!px) {
      return;
    }
    this.stillAt = Date.now();
    try {
      this.still = await renderSnapshot(px, r.width, r.height, objects, { quality: this.snapshotQuality });
    } catch (err) {
      this.log.debug({ err }, 'last frame not rendered');
    }
  }

  private async write(changes: readonly AlertChange[], frame?: DetectionResult): Promise<void> {
    for (const c of changes) {
      let snapshot: Buffer | undefined;
      if (c.event === 'start') {
        // Raised by a frame: that frame. Raised without one (camera_down): the camera's last frame, if any.
        snapshot = frame ? await this.snapshot(frame, c.alert) : this.still;
      }
      const latencyMs = Math.max(0, Date.now() - c.capturedAt);
      const alert: Alert = { ...c.alert, latencyMs };
      if (c.event !== 'start' && !alert.id) {
        continue; // its start failed to store
      }
      try {
        const w = await this.store.write(c.event, alert, snapshot, this.fence);
        if (w.skipped === 'fenced') {
          this.log.warn({ rule: alert.rule, event: c.event }, 'alert not written: another process owns the camera now');
          continue;
        }
        if (w.skipped === 'ended') {
          continue;
        }
        if (c.event === 'start') {
          this.engine.lifecycle.setId(c.handle, w.alert.id, w.alert.snapshot !== undefined);
        }
        this.hooks.onAlert(c, latencyMs);
      } catch (err) {
        this.log.error({ err, rule: alert.rule, event: c.event }, 'alert write failed');
      }
    }
  }

  private async snapshot(frame: DetectionResult, alert: Alert): Promise<Buffer | undefined> {
    try {
      const px = await this.pixels(frame);
      if (!px) {
        return undefined;
      }
      return await renderSnapshot(px, frame.width, frame.height, alert.objects, { quality: this.snapshotQuality });
    } catch (err) {
      this.log.warn({ err }, 'snapshot failed');
      return undefined;
    }
  }

  private async persist(): Promise<void> {
    this.dirty = false;
    const s: PersistedTrackState = {
      lastId: this.lastId,
      lastSeq: Number.isFinite(this.reorder.lastSeq) ? this.reorder.lastSeq : -1,
      nextTrackId: this.engine.tracker.idCounter,
      open: this.engine.lifecycle.active.filter((o) => o.alert.id).map((o) => o.alert),
    };
    const state = this.keys.trackState(this.camera.id);
    if (this.fence) {
      await this.redis.eval(PERSIST, 2, state, this.fence.key, JSON.stringify(s), '86400', this.fence.owner);
    } else {
      await this.redis.set(state, JSON.stringify(s), 'EX', 86_400);
    }
  }
}
