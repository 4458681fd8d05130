/**
 * One camera's tracking loop in the track stage: reorders detection results, runs them through the camera's engine
 * (camera-engine.ts), writes alert events with their snapshots and the track state in one fenced script, and keeps
 * the live frame while someone watches.
 *
 * Over 350 lines on purpose: CameraWorker's steps share the held frames, the engine and the write fence of the
 * camera's lease; the decisions themselves are pure and live in camera-engine.ts, track-state.ts and reorder.ts.
 */
import type Redis from 'ioredis';
import type { CameraConfig, VigilConfig } from '../config/schema';
import type { Keys } from '../core/keys';
import type { LocalFrames } from '../core/local-frames';
import type { Logger } from '../core/logger';
import type { Alert, CameraStateMessage, DetectionResult, DetectionsMessage } from '../core/types';
import { AlertStore, alertIdToken, renderSnapshot, type AlertChange, type AlertWrite, type WriteFence } from '../alerts';
import { compareStreamIds, streamIdBefore } from '../core/stream-id';
import { CameraEngine } from './camera-engine';
import { engineConfigOf as engineConfig } from './engine-config';
import type { HeldPixels } from './held-pixels';
import { ReorderBuffer } from './reorder';
import { readTrackState, TRACK_STATE_VERSION, type PersistedTrackState } from './track-state';

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
  /** Pixels a detect process elsewhere holds (results with a `holder`), and their release. */
  held?: Pick<HeldPixels, 'get' | 'release'>;
  /** Whether someone watches the camera now (its live frame is rendered while so). */
  liveWanted?(camera: string): boolean;
}

/** Live frames: at most one per this long per camera, kept in Redis this long. */
const LIVE_MIN_INTERVAL_MS = 100;
const LIVE_TTL_MS = 3000;
/** The camera's last frame (for alerts raised without one: camera_down) is rendered at most this often. */
const STILL_INTERVAL_MS = 5000;

/** Seconds the saved track state lives in Redis without a save (a camera nobody tracks for a day starts afresh). */
const STATE_TTL_S = 86_400;

export type { PersistedTrackState } from './track-state';

/** A detection result waiting to be processed, with the stream entry it came in. */
interface Held {
  seq: number;
  id: string;
  result: DetectionResult;
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
 *
 * The whole engine state is saved with the stream position of the last frame it reflects, on every tick when it
 * changed and in the same script as every alert write, so a new owner continues exactly where this one stopped:
 * the frames it processed after its last save raised no alert (else there would be a newer save), so processing
 * them again gives the same state and writes nothing twice.
 */
export class CameraWorker {
  readonly reorder: ReorderBuffer<Held>;
  /** Read cursor of the detections stream (the reader advances it as it reads). */
  lastId = '$';
  /** The lease is unconfirmed: read nothing, tick nothing, until it is confirmed again or lost. */
  suspended = false;
  private current: CameraEngine;
  private chain: Promise<void> = Promise.resolve();
  private lateSeen = 0;
  private dirty = false;
  /** Set once abandoned: no further step runs. */
  private abandoned = false;
  private lastLiveAt = 0;
  /** The newest frame rendered (JPEG), kept for alerts raised without a frame (camera_down), and when. */
  private still: Buffer | undefined;
  private stillAt = 0;
  /** Last entry put into the reorder buffer. */
  private pos = '';
  /** Released by the reorder buffer, not processed yet. */
  private queue: Held[] = [];
  /** Last seq processed by the engine (-1: none). */
  private processedSeq = -1;
  /** From a continued state: entries up to `id` with a seq up to `seq` were handled by the previous owner. */
  private handled: { id: string; seq: number } | undefined;
  /** Continuing a saved state: the engine's timer waits until the backlog of the stream is read. */
  private catchingUp_ = false;
  /** The frame whose pixels were last asked of the detect process holding them, and the answer. */
  private asked: { key: string; px: Promise<Buffer | undefined> } | undefined;

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
    this.current = new CameraEngine(engineConfig(config, camera));
    // Parallel workers finish a camera's frames at most about one inference apart; a gap that stays open longer
    // is a frame dropped upstream (backpressure, stale), so waiting longer would only add latency.
    this.reorder = new ReorderBuffer({ window: config.track.reorderWindow, maxWaitMs: REORDER_WAIT_MS });
  }

  /** The camera's engine (tracker, rules, alert lifecycle). */
  get engine(): CameraEngine {
    return this.current;
  }

  /** Whether the engine's timer waits for the backlog of a continued state to be read. */
  get catchingUp(): boolean {
    return this.catchingUp_;
  }

  /**
   * Takes the camera over from the saved state: continues the previous owner's engine (tracks, rule states, open
   * alerts with their ids) and reads the stream again from the position it reflects; a state that cannot be
   * continued falls back to resuming after its last entry with a fresh engine and ending its open alerts. Then reads
   * the camera state.
   */
  async resume(): Promise<void> {
    // A concrete starting point, never '$': with several streams in one XREAD, '$' for a camera whose entry came in
    // while the reader was busy with another camera's would skip that entry (and every one like it).
    const newest = await this.redis.xrevrange(this.keys.detections(this.camera.id), '+', '-', 'COUNT', 1);
    this.lastId = newest[0]?.[0] ?? '0-0';
    const raw = await this.redis.get(this.keys.trackState(this.camera.id));
    const plan = readTrackState(raw, this.current.config);
    if (plan.kind !== 'continue' && plan.warning) {
      this.log.warn({ camera: this.camera.id }, plan.warning);
    }
    if (plan.kind === 'continue') {
      this.current = plan.engine;
      this.lastId = plan.lastId === '$' ? this.lastId : plan.lastId;
      this.handled = { id: plan.seen === '$' ? plan.lastId : plan.seen, seq: plan.lastSeq };
      this.processedSeq = plan.lastSeq;
      if (plan.lastSeq >= 0) {
        this.reorder.resumeAfter(plan.lastSeq);
      }
      this.catchingUp_ = true;
      this.log.info(
        { camera: this.camera.id, from: this.lastId, lastSeq: plan.lastSeq, open: this.current.lifecycle.active.length, ageMs: Date.now() - plan.savedAt },
        'continuing the saved track state',
      );
    } else if (plan.kind === 'legacy') {
      this.lastId = plan.lastId === '$' ? this.lastId : plan.lastId;
      if (Number.isFinite(plan.lastSeq)) {
        this.reorder.resumeAfter(plan.lastSeq);
        this.processedSeq = plan.lastSeq;
      }
      this.current.tracker.idCounter = plan.nextTrackId;
      const now = new Date().toISOString();
      for (const a of plan.open) {
        // Idempotent: an alert the previous owner (or an earlier takeover) ended already is not ended again.
        await this.store.write('end', { ...a, state: 'ended', endedAt: now, updatedAt: now }, undefined, this.fence);
      }
    }
    this.pos = this.lastId;
    const status = await this.redis.hgetall(this.keys.cameraStatus(this.camera.id));
    if (status.state && status.at) {
      this.current.onCameraState({
        type: 'camera',
        camera: this.camera.id,
        state: status.state as CameraStateMessage['state'],
        reason: status.reason ?? '',
        at: status.at,
      });
    }
  }

  /**
   * The reader got everything the stream held for this camera: the backlog of a continued state is queued, so the
   * engine's timer may run again (before, it would take the takeover's gap for a gap in the frames).
   */
  caughtUp(): void {
    this.catchingUp_ = false;
  }

  /** Applies a reloaded config. */
  configure(config: VigilConfig, camera: CameraConfig): void {
    this.snapshotQuality = config.alerts.snapshotQuality;
    this.current.configure(engineConfig(config, camera));
  }

  /** Queues stream entries (already parsed) for processing. */
  enqueue(entries: Array<{ id: string; result: DetectionResult }>): Promise<void> {
    return this.serial(async () => {
      const now = Date.now();
      for (const e of entries) {
        this.lastId = compareStreamIds(e.id, this.lastId) > 0 || this.lastId === '$' ? e.id : this.lastId;
        this.pos = e.id;
        const h = this.handled;
        if (h && compareStreamIds(e.id, h.id) <= 0 && e.result.seq <= h.seq) {
          continue; // processed (or dropped as late) by the previous owner: read again because the state is older
        }
        this.hooks.record?.(e.result);
        await this.run(this.reorder.push({ seq: e.result.seq, id: e.id, result: e.result }, now));
      }
      if (this.handled && this.pos && compareStreamIds(this.pos, this.handled.id) >= 0) {
        this.handled = undefined;
      }
      this.reportLate();
    });
  }

  /** Timer: releases frames that waited too long for a gap, ends expired alerts, camera_down; saves the state. */
  tick(): Promise<void> {
    return this.serial(async () => {
      await this.run(this.reorder.poll(Date.now()));
      if (!this.catchingUp_) {
        await this.write(this.current.tick(Date.now()));
      }
      if (this.dirty) {
        await this.persist();
      }
    });
  }

  /** Processes what is held, writes the state; with `endAlerts`, ends the open alerts (graceful stop). */
  close(endAlerts: boolean): Promise<void> {
    return this.serial(async () => {
      await this.run(this.reorder.flush());
      if (endAlerts) {
        await this.write(this.current.finish(Math.max(Date.now(), this.current.lastCapture)));
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

  /** Processes released items in order (what is left of them stays queued if a step fails). */
  private async run(released: Held[]): Promise<void> {
    this.queue.push(...released);
    while (this.queue.length > 0) {
      await this.processOne(this.queue.shift()!.result);
    }
  }

  private async processOne(r: DetectionResult): Promise<void> {
    try {
      const ids = this.current.tracker.idCounter;
      const out = this.current.process(r);
      this.processedSeq = r.seq;
      this.dirty = true;
      this.hooks.onTracked?.(r.camera, out.objects.length, this.current.tracker.idCounter - ids, Math.max(0, Date.now() - r.times.capturedAt));
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

  /**
   * The pixels of a frame, wherever the detect stage left them (undefined when gone). Pixels asked of another
   * process are asked once per frame (a snapshot and the live frame of one frame share the answer).
   */
  private async pixels(r: DetectionResult): Promise<Buffer | undefined> {
    let px: Buffer | undefined;
    if (r.pixels === 'local') {
      px = this.hooks.frames?.peek(r.frameKey);
    } else if (r.holder !== undefined && r.pixels === undefined) {
      if (this.asked?.key !== r.frameKey) {
        this.asked = { key: r.frameKey, px: this.hooks.held?.get(r.holder, r.frameKey) ?? Promise.resolve(undefined) };
      }
      px = await this.asked.px;
    } else {
      // Results with `pixels: 'redis'` (or neither field) come from a detect process of an earlier version.
      px = (await this.redis.getBuffer(r.frameKey)) ?? undefined;
    }
    return px && px.length === r.width * r.height * 3 ? px : undefined;
  }

  private freePixels(r: DetectionResult): void {
    if (r.pixels === 'local') {
      this.hooks.frames?.release(r.frameKey);
    } else if (r.holder !== undefined && r.pixels === undefined) {
      if (this.asked?.key === r.frameKey) {
        this.asked = undefined;
      }
      this.hooks.held?.release(r.holder, r.frameKey);
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
    // Tried at most every STILL_INTERVAL_MS, found or not: no pixel read per frame when frames have none.
    this.stillAt = Date.now();
    const px = await this.pixels(r);
    if (!px) {
      return;
    }
    try {
      this.still = await renderSnapshot(px, r.width, r.height, objects, { quality: this.snapshotQuality });
    } catch (err) {
      this.log.debug({ err }, 'last frame not rendered');
    }
  }

  /**
   * Writes a frame's (or a tick's) alert events in one script with the state they leave the engine in, so the
   * events and the state that knows of them are stored together or not at all.
   */
  private async write(changes: readonly AlertChange[], frame?: DetectionResult): Promise<void> {
    const batch: Array<AlertWrite & { change: AlertChange; latencyMs: number }> = [];
    for (const c of changes) {
      if (c.event !== 'start' && !c.alert.id) {
        continue; // its start failed to store
      }
      let snapshot: Buffer | undefined;
      if (c.event === 'start') {
        // Raised by a frame: that frame. Raised without one (camera_down): the camera's last frame, if any.
        snapshot = frame ? await this.snapshot(frame, c.alert) : this.still;
      }
      const latencyMs = Math.max(0, Date.now() - c.capturedAt);
      batch.push({ event: c.event, alert: { ...c.alert, latencyMs }, snapshot, change: c, latencyMs });
    }
    if (batch.length === 0) {
      return;
    }
    const starts = new Map<string, { index: number; snapshot: boolean }>();
    batch.forEach((b, i) => {
      if (b.event === 'start') {
        starts.set(b.change.handle.key, { index: i, snapshot: b.snapshot !== undefined && b.snapshot.length > 0 });
      }
    });
    const state = { key: this.keys.trackState(this.camera.id), json: JSON.stringify(this.state(starts)), ttlSeconds: STATE_TTL_S };
    let written;
    try {
      written = await this.store.writeBatch(batch, { fence: this.fence, state });
    } catch (err) {
      this.log.error({ err, rules: [...new Set(batch.map((b) => b.alert.rule))] }, 'alert write failed');
      return;
    }
    if (written[0]?.skipped === 'fenced') {
      this.log.warn({ rules: [...new Set(batch.map((b) => b.alert.rule))], events: batch.length }, 'alerts not written: another process owns the camera now');
      return;
    }
    this.dirty = false;
    written.forEach((w, i) => {
      const b = batch[i];
      if (w.skipped) {
        return;
      }
      if (b.event === 'start') {
        this.current.lifecycle.setId(b.change.handle, w.alert.id, w.alert.snapshot !== undefined);
        // One line per alert raised, so the terminal shows the product working (updates and ends stay quiet).
        const a = w.alert;
        this.log.info(
          { alert: a.id, rule: a.rule, type: a.type, severity: a.severity, objects: a.objects.map((o) => `${o.label}#${o.trackId}`), latencyMs: b.latencyMs },
          `alert ${a.rule} on ${a.camera}`,
        );
      }
      this.hooks.onAlert(b.change, b.latencyMs);
    });
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

  /**
   * The state to save: the engine after the last frame processed and the stream position to read again from (the
   * entry before the oldest frame read but not processed yet). `starting` names the open alerts whose start is being
   * written with this state (key → index in the batch, and whether a snapshot goes with it): the store writes in
   * their ids.
   */
  private state(starting?: ReadonlyMap<string, { index: number; snapshot: boolean }>): PersistedTrackState {
    const engine = this.current.snapshot();
    if (starting?.size) {
      for (const o of engine.lifecycle.open) {
        const st = starting.get(o.key);
        if (st !== undefined) {
          // What setId will make of it once the store has given the id.
          o.alert.id = alertIdToken(st.index);
          if (st.snapshot) {
            o.alert.snapshot = `/api/alerts/${alertIdToken(st.index)}/snapshot.jpg`;
          } else {
            delete o.alert.snapshot;
          }
        }
      }
    }
    let oldest: string | undefined;
    for (const h of [...this.queue, ...this.reorder.held()]) {
      if (oldest === undefined || compareStreamIds(h.id, oldest) < 0) {
        oldest = h.id;
      }
    }
    const handled = this.handled && compareStreamIds(this.handled.id, this.pos) > 0 ? this.handled.id : this.pos;
    return {
      lastId: oldest !== undefined ? streamIdBefore(oldest) : this.pos || this.lastId,
      lastSeq: this.processedSeq,
      nextTrackId: this.current.tracker.idCounter,
      open: engine.lifecycle.open.filter((o) => o.alert.id).map((o) => o.alert),
      v: TRACK_STATE_VERSION,
      savedAt: Date.now(),
      seen: handled || this.lastId,
      engine,
    };
  }

  private async persist(): Promise<void> {
    this.dirty = false;
    const json = JSON.stringify(this.state());
    const state = this.keys.trackState(this.camera.id);
    try {
      if (this.fence) {
        await this.redis.eval(PERSIST, 2, state, this.fence.key, json, String(STATE_TTL_S), this.fence.owner);
      } else {
        await this.redis.set(state, json, 'EX', STATE_TTL_S);
      }
    } catch (err) {
      this.dirty = true;
      throw err;
    }
  }
}
