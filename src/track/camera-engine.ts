import { z } from 'zod';
import type { AlertsConfig, CameraConfig, RuleConfig, TrackConfig } from '../config/schema';
import { CAMERA_STATES, type AlertObject, type CameraStateMessage, type DetectionResult, type FaceObservation, type Point, type TrackView } from '../core/types';
import { ByteTracker, type ByteTrackerState } from './byte-tracker';
import { frameScale, type Scale } from '../core/geometry';
import { int, num, parseState, StateError } from '../core/state-codec';
import {
  AlertLifecycle,
  isActive,
  RULE_REGISTRY,
  toObject,
  type AlertChange,
  type CameraStateAt,
  type LifecycleState,
  type RuleInput,
} from '../alerts';

/** Configuration slice of one camera's engine. */
export interface CameraEngineConfig {
  camera: CameraConfig;
  /** Every rule; those for other cameras are ignored. */
  rules: readonly RuleConfig[];
  track: TrackConfig;
  alerts: AlertsConfig;
  /** `faces.votes`. */
  faceVotes: number;
}

/** What one frame produced. */
export interface FrameOutcome {
  /** Every live track (tentative and lost included). */
  tracks: TrackView[];
  /** Confirmed tracks matched in this frame, as sent on the `detections` topic. */
  objects: AlertObject[];
  /** Alert events to store and publish, in order. */
  changes: AlertChange[];
}

/** Version of {@link EngineState}; a saved state of another version is not restored. */
export const ENGINE_STATE_VERSION = 1;

/**
 * The whole decision state of one camera's engine as JSON-able values: what {@link snapshotEngine} returns and
 * {@link restoreEngine} reads. The configuration is not part of it (a rule whose config changed starts afresh).
 */
export interface EngineState {
  v: typeof ENGINE_STATE_VERSION;
  camera: string;
  tracker: ByteTrackerState;
  /** Per rule: its config as JSON (the state is restored only for the same config) and its saved state. */
  rules: Array<{ id: string; config: string; state: unknown }>;
  lifecycle: LifecycleState;
  /** Frame size last seen (the isotropic scale follows from it), or null before the first frame. */
  frame: [number, number] | null;
  lastCapture: number;
  /** Wall time (ms) the last frame was processed: ticks extrapolate the capture clock from it. */
  lastWall: number;
  cameraState: CameraStateAt | null;
}

const engineStateSchema = z.object({
  v: z.literal(ENGINE_STATE_VERSION),
  camera: z.string(),
  tracker: z.unknown(),
  rules: z.array(z.object({ id: z.string(), config: z.string(), state: z.unknown() })),
  lifecycle: z.unknown(),
  frame: z.tuple([int.min(1), int.min(1)]).nullable(),
  lastCapture: num,
  lastWall: num,
  cameraState: z
    .object({
      state: z.enum(CAMERA_STATES),
      since: num,
      reason: z.string(),
    })
    .nullable(),
});

/** A frame without a track update for this long (ms, wall clock) lets ticks end alerts and run camera_down. */
export const TICK_IDLE_MS = 1000;

/**
 * One camera's tracker, rules and alert lifecycle: the whole decision path from a DetectionResult to alert
 * events, pure and synchronous. The live track stage and `vigil replay` both run this, so they raise the same
 * alerts from the same detections. The clock is the frames' capture time.
 */
export class CameraEngine {
  readonly tracker: ByteTracker;
  readonly lifecycle: AlertLifecycle;
  private cfg!: CameraEngineConfig;
  private rules: RuleConfig[] = [];
  private ruleMap = new Map<string, RuleConfig>();
  private states = new Map<string, { json: string; state: unknown }>();
  private zones = new Map<string, readonly Point[]>();
  private lines = new Map<string, readonly [Point, Point]>();
  private scale: Scale = { sx: 1, sy: 1 };
  private scaleOf = '';
  private cameraState: CameraStateAt | undefined;
  /** Capture time of the last frame processed, and the wall time it was processed. */
  lastCapture = -1;
  private lastWall = -1;

  constructor(config: CameraEngineConfig) {
    this.tracker = new ByteTracker({
      highScore: config.track.highScore,
      lowScore: config.track.lowScore,
      minHits: config.track.minHits,
      maxLostSeconds: config.track.maxLostSeconds,
    });
    this.lifecycle = new AlertLifecycle(config.camera.id, { endAfterSeconds: config.alerts.endAfterSeconds });
    this.configure(config);
  }

  /** The camera id. */
  get camera(): string {
    return this.cfg.camera.id;
  }

  /** The configuration in effect. */
  get config(): CameraEngineConfig {
    return this.cfg;
  }

  /** The rules that apply to this camera now. */
  get activeRules(): readonly RuleConfig[] {
    return this.rules;
  }

  /**
   * Applies a new configuration (SIGHUP, camera override) without losing tracks; a rule keeps its state when its
   * config did not change. Open alerts of removed rules end at the next frame or tick.
   */
  configure(config: CameraEngineConfig): void {
    this.cfg = config;
    this.rules = config.rules.filter((r) => r.enabled && (r.camera === undefined || r.camera === config.camera.id));
    this.ruleMap = new Map(this.rules.map((r) => [r.id, r]));
    const next = new Map<string, { json: string; state: unknown }>();
    for (const r of this.rules) {
      const json = JSON.stringify(r);
      const cur = this.states.get(r.id);
      next.set(r.id, cur && cur.json === json ? cur : { json, state: RULE_REGISTRY[r.type].init(r) });
    }
    this.states = next;
    this.zones = new Map(config.camera.zones.map((z) => [z.id, z.polygon as Point[]]));
    this.lines = new Map(config.camera.lines.map((l) => [l.id, l.points as [Point, Point]]));
    this.lifecycle.setEndAfterSeconds(config.alerts.endAfterSeconds);
  }

  /** The engine's whole decision state (see {@link snapshotEngine}). */
  snapshot(): EngineState {
    return {
      v: ENGINE_STATE_VERSION,
      camera: this.cfg.camera.id,
      tracker: this.tracker.snapshot(),
      rules: this.rules.map((r) => {
        const slot = this.states.get(r.id)!;
        return { id: r.id, config: slot.json, state: RULE_REGISTRY[r.type].saveState(slot.state) };
      }),
      lifecycle: this.lifecycle.snapshot(),
      frame: this.scaleOf ? (this.scaleOf.split('x').map(Number) as [number, number]) : null,
      lastCapture: this.lastCapture,
      lastWall: this.lastWall,
      cameraState: this.cameraState ? { ...this.cameraState } : null,
    };
  }

  /**
   * Takes over a saved decision state (see {@link restoreEngine}); a rule whose config differs from the saved one
   * keeps a fresh state. A wall time from the future (another host's clock) is taken as `wallNow`. Throws a
   * StateError, leaving the engine as it was, when `saved` is not a valid state of this camera.
   */
  restore(saved: unknown, wallNow = Date.now()): void {
    const s = parseState(engineStateSchema, saved, 'engine state');
    if (s.camera !== this.cfg.camera.id) {
      throw new StateError(`engine state: saved for camera ${s.camera}, not ${this.cfg.camera.id}`);
    }
    const states = new Map<string, { json: string; state: unknown }>();
    for (const r of s.rules) {
      const cur = this.states.get(r.id);
      const rule = this.ruleMap.get(r.id);
      if (cur && rule && cur.json === r.config) {
        states.set(r.id, { json: r.config, state: RULE_REGISTRY[rule.type].loadState(r.state) });
      }
    }
    // Everything is read before anything changes: a bad part leaves the engine as it was.
    const tracker = new ByteTracker();
    tracker.restore(s.tracker);
    const lifecycle = new AlertLifecycle(this.cfg.camera.id);
    lifecycle.restore(s.lifecycle);
    this.tracker.restore(s.tracker);
    this.lifecycle.restore(s.lifecycle);
    for (const [id, st] of states) {
      this.states.set(id, st);
    }
    if (s.frame) {
      this.scaleOf = `${s.frame[0]}x${s.frame[1]}`;
      this.scale = frameScale(s.frame[0], s.frame[1]);
      this.tracker.setScale(this.scale);
    }
    this.lastCapture = s.lastCapture;
    this.lastWall = Math.min(s.lastWall, wallNow);
    this.cameraState = s.cameraState ?? undefined;
  }

  /** Records a camera state change (camera_down). */
  onCameraState(msg: CameraStateMessage): void {
    if (msg.camera !== this.cfg.camera.id) {
      return;
    }
    if (this.cameraState?.state === msg.state) {
      return;
    }
    const t = Date.parse(msg.at);
    this.cameraState = { state: msg.state, since: Number.isFinite(t) ? t : Date.now(), reason: msg.reason };
  }

  /** Runs one frame (in capture order) through tracker, rules and lifecycle. */
  process(result: DetectionResult, wallNow = Date.now()): FrameOutcome {
    const time = Math.max(result.times.capturedAt, this.lastCapture);
    const size = `${result.width}x${result.height}`;
    if (size !== this.scaleOf) {
      this.scaleOf = size;
      this.scale = frameScale(result.width, result.height);
      this.tracker.setScale(this.scale);
    }
    const tracks = this.tracker.update(result.detections, time);
    this.lastCapture = time;
    this.lastWall = wallNow;
    const confirmed = tracks.filter((t) => t.id > 0);
    const faces = facesByTrack(confirmed, result.faces);
    const input = this.input(time, confirmed, faces, true);
    const changes = this.evaluate(input);
    const objects = confirmed.filter((t) => t.matched).map(toObject);
    return { tracks, objects, changes };
  }

  /**
   * Timer tick (about once a second): when no frame came for TICK_IDLE_MS, ends expired alerts and evaluates
   * camera_down on a clock extrapolated from the last capture time.
   */
  tick(wallNow = Date.now()): AlertChange[] {
    if (this.lastWall >= 0 && wallNow - this.lastWall < TICK_IDLE_MS) {
      return [];
    }
    const time = this.lastCapture >= 0 ? this.lastCapture + (wallNow - this.lastWall) : wallNow;
    const out: AlertChange[] = [];
    for (const r of this.rules) {
      if (r.type === 'camera_down') {
        out.push(...this.lifecycle.step(r, this.run(r, this.input(time, [], new Map(), false)), time));
      }
    }
    out.push(...this.lifecycle.expire(time, this.ruleMap));
    return out;
  }

  /** Ends every open alert (end of a replay, camera removed). */
  finish(time: number): AlertChange[] {
    return this.lifecycle.endAll(time);
  }

  private input(
    time: number,
    tracks: readonly TrackView[],
    faces: ReadonlyMap<number, readonly FaceObservation[]>,
    frame: boolean,
  ): RuleInput {
    return {
      camera: this.cfg.camera.id,
      time,
      tracks,
      faces,
      frame,
      scale: this.scale,
      zones: this.zones,
      lines: this.lines,
      cameraState: this.cameraState,
      faceVotes: this.cfg.faceVotes,
    };
  }

  private evaluate(input: RuleInput): AlertChange[] {
    const out: AlertChange[] = [];
    for (const r of this.rules) {
      out.push(...this.lifecycle.step(r, this.run(r, input), input.time));
    }
    out.push(...this.lifecycle.expire(input.time, this.ruleMap));
    return out;
  }

  private run(r: RuleConfig, input: RuleInput) {
    const slot = this.states.get(r.id)!;
    const ev = RULE_REGISTRY[r.type];
    // Outside its schedule a rule still follows the tracks (so it does not fire on what it missed) but raises nothing.
    const res = ev.evaluate(r, slot.state, input);
    slot.state = res.state;
    return isActive(r.schedule, input.time) ? res.conditions : [];
  }
}

/**
 * The whole decision state of `engine` (tracker with its Kalman filters and id counter, every rule's state, open
 * alerts with their ids, cooldowns and update hysteresis, the capture clock) as JSON-able values. Pure: the engine
 * is not changed, and the result shares nothing with it.
 */
export function snapshotEngine(engine: CameraEngine): EngineState {
  return engine.snapshot();
}

/**
 * A new engine for `config` in the state `saved` (a {@link snapshotEngine} result, possibly through JSON): the frames
 * that follow give exactly the outcomes they give the engine that was saved. Throws a StateError when `saved` is
 * damaged, of another version or of another camera.
 */
export function restoreEngine(config: CameraEngineConfig, saved: unknown, wallNow = Date.now()): CameraEngine {
  const engine = new CameraEngine(config);
  engine.restore(saved, wallNow);
  return engine;
}

/** Faces of a frame per confirmed track, by the detection (person box) each face was found in. */
export function facesByTrack(
  tracks: readonly TrackView[],
  faces: readonly FaceObservation[] | undefined,
): Map<number, FaceObservation[]> {
  const out = new Map<number, FaceObservation[]>();
  if (!faces || faces.length === 0) {
    return out;
  }
  const byDet = new Map<number, number>();
  for (const t of tracks) {
    if (t.matched && t.detectionIndex >= 0) {
      byDet.set(t.detectionIndex, t.id);
    }
  }
  for (const f of faces) {
    const id = f.detectionIndex === undefined ? undefined : byDet.get(f.detectionIndex);
    if (id !== undefined) {
      const list = out.get(id) ?? [];
      list.push(f);
      out.set(id, list);
    }
  }
  return out;
}
