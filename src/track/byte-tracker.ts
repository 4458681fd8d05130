/**
 * ByteTrack multi-object tracking over one camera's detections: Kalman-predicted boxes matched in two stages (high
 * then low scores), tentative/tracked/lost tracks, feet velocity and stationarity for the rules.
 *
 * Over 350 lines on purpose: one algorithm over one track table, with its saved state; assignment (assignment.ts),
 * the Kalman filter (kalman.ts) and the geometry (core/geometry.ts) are apart.
 */
import type { Box, Detection, Point, TrackStatus, TrackView } from '../core/types';
import { assign } from './assignment';
import { distance, feet, iou, UNIT_SCALE, type Scale } from '../core/geometry';
import { z } from 'zod';
import { KalmanBox, toMeasurement, type KalmanState } from './kalman';
import { box, int, num, parseState, point, StateError } from '../core/state-codec';

/** Options of {@link ByteTracker}. */
export interface ByteTrackerOptions {
  /** Detections at or above this score start and continue tracks (first stage). @defaultValue 0.5 */
  highScore?: number;
  /** Detections between this and highScore only continue existing tracks (second stage). @defaultValue 0.1 */
  lowScore?: number;
  /** Consecutive frames a new track must be matched before it is confirmed and gets an id. @defaultValue 2 */
  minHits?: number;
  /** Seconds a lost track is kept for re-association before it dies. @defaultValue 2 */
  maxLostSeconds?: number;
  /** First stage: minimum IoU between a track's prediction and a high-score detection. @defaultValue 0.2 */
  matchIou?: number;
  /** Second stage: minimum IoU for low-score detections. @defaultValue 0.4 */
  lowMatchIou?: number;
  /** A track whose feet stay within this distance (isotropic units) of an anchor is stationary. @defaultValue 0.02 */
  stationaryRadius?: number;
  /** Isotropic scale of the frame (aspect ratio), for speeds and distances. @defaultValue square */
  scale?: Scale;
}

/** Tracks with fewer matches than this may also match a detection by centre distance (velocity not yet known). */
export const FAST_MATCH_HITS = 4;

interface Track {
  key: number;
  id: number;
  label: string;
  score: number;
  kf: KalmanBox;
  box: Box;
  status: TrackStatus;
  matched: boolean;
  detectionIndex: number;
  hits: number;
  streak: number;
  firstSeen: number;
  lastSeen: number;
  lastPredicted: number;
  anchor: Point;
  anchorSince: number;
}

const kalmanSchema = z.object({
  p: z.array(num).length(4),
  v: z.array(num).length(4),
  c00: z.array(num).length(4),
  c01: z.array(num).length(4),
  c11: z.array(num).length(4),
});

const trackSchema = z.object({
  key: int.min(1),
  id: int.min(0),
  label: z.string(),
  score: num,
  kf: kalmanSchema,
  box,
  status: z.enum(['tentative', 'tracked', 'lost']),
  matched: z.boolean(),
  detectionIndex: int.min(-1),
  hits: int.min(0),
  streak: int.min(0),
  firstSeen: num,
  lastSeen: num,
  lastPredicted: num,
  anchor: point,
  anchorSince: num,
});

const trackerSchema = z.object({
  nextId: int.min(1),
  nextKey: int.min(1),
  lastTime: num,
  tracks: z.array(trackSchema),
});

/** The whole state of a {@link ByteTracker} as JSON-able values (its options come from the config). */
export interface ByteTrackerState {
  nextId: number;
  nextKey: number;
  lastTime: number;
  tracks: Array<Omit<Track, 'kf'> & { kf: KalmanState }>;
}

/**
 * ByteTrack-class multi-object tracker for one camera. Per frame: predict every track with its Kalman filter;
 * match high-score detections to confirmed and lost tracks (IoU, Hungarian); match the low-score detections to the
 * confirmed tracks still unmatched (keeps tracks through partial occlusion); match remaining high-score
 * detections to tentative tracks; start tentative tracks from what is left. Tentative tracks are confirmed after
 * `minHits` consecutive matches (birth hysteresis) and dropped at their first miss; confirmed tracks become lost
 * when unmatched and die after `maxLostSeconds`. Only detections of the same label are matched.
 */
export class ByteTracker {
  private readonly o: Required<ByteTrackerOptions>;
  private tracks: Track[] = [];
  private nextId = 1;
  private nextKey = 1;
  private lastTime = -1;

  constructor(options: ByteTrackerOptions = {}) {
    this.o = {
      highScore: options.highScore ?? 0.5,
      lowScore: options.lowScore ?? 0.1,
      minHits: options.minHits ?? 2,
      maxLostSeconds: options.maxLostSeconds ?? 2,
      matchIou: options.matchIou ?? 0.2,
      lowMatchIou: options.lowMatchIou ?? 0.4,
      stationaryRadius: options.stationaryRadius ?? 0.02,
      scale: options.scale ?? UNIT_SCALE,
    };
    if (this.o.lowScore > this.o.highScore || this.o.minHits < 1 || this.o.maxLostSeconds < 0) {
      throw new TypeError('ByteTracker: need lowScore <= highScore, minHits >= 1, maxLostSeconds >= 0');
    }
  }

  /** Changes the frame scale (resolution change). */
  setScale(scale: Scale): void {
    this.o.scale = scale;
  }

  /** The id the next confirmed track will get (persisted for failover so ids do not restart at 1). */
  get idCounter(): number {
    return this.nextId;
  }

  set idCounter(n: number) {
    this.nextId = Math.max(this.nextId, Math.floor(n));
  }

  /** The tracker's whole state (tracks in order, with their Kalman filters, and the id counters). */
  snapshot(): ByteTrackerState {
    return {
      nextId: this.nextId,
      nextKey: this.nextKey,
      lastTime: this.lastTime,
      tracks: this.tracks.map((t) => ({
        ...t,
        box: [...t.box] as Box,
        anchor: [...t.anchor] as Point,
        kf: t.kf.state(),
      })),
    };
  }

  /**
   * Replaces the tracker's state with a saved one (see {@link snapshot}); the following frames give exactly the
   * output they would have given the tracker that was saved. Throws a StateError (and changes nothing) when `saved`
   * is not a valid tracker state.
   */
  restore(saved: unknown): void {
    const s = parseState(trackerSchema, saved, 'tracker');
    const keys = new Set(s.tracks.map((t) => t.key));
    if (keys.size !== s.tracks.length || s.tracks.some((t) => t.key >= s.nextKey || t.id >= s.nextId)) {
      throw new StateError('tracker: track keys repeat or exceed the counters');
    }
    this.tracks = s.tracks.map((t) => ({ ...t, box: [...t.box] as Box, anchor: [...t.anchor] as Point, kf: KalmanBox.fromState(t.kf) }));
    this.nextId = s.nextId;
    this.nextKey = s.nextKey;
    this.lastTime = s.lastTime;
  }

  /**
   * Feeds one frame's detections (captured at `time`, epoch ms, non-decreasing) and returns every live track
   * (tentative, tracked and lost). Confirmed tracks have `id > 0`.
   */
  update(detections: readonly Detection[], time: number): TrackView[] {
    const dt = this.lastTime < 0 ? 0 : Math.max(0, (time - this.lastTime) / 1000);
    this.lastTime = Math.max(this.lastTime, time);
    for (const t of this.tracks) {
      t.kf.predict(dt);
      t.box = t.kf.box();
      t.matched = false;
      t.detectionIndex = -1;
    }
    const high: number[] = [];
    const low: number[] = [];
    detections.forEach((d, i) => {
      if (d.score >= this.o.highScore) {
        high.push(i);
      } else if (d.score >= this.o.lowScore) {
        low.push(i);
      }
    });
    const confirmed = this.tracks.filter((t) => t.status !== 'tentative');
    const tentative = this.tracks.filter((t) => t.status === 'tentative');

    // Stage 1: high-score detections with confirmed and lost tracks.
    const s1 = this.match(confirmed, high, detections, this.o.matchIou);
    for (const [ti, di] of s1.pairs) {
      this.hit(confirmed[ti], detections, di, time);
    }
    // Stage 2: low-score detections with the tracks that were being tracked (not the lost ones).
    const remaining = s1.tracks.map((i) => confirmed[i]).filter((t) => t.status === 'tracked');
    const s2 = this.match(remaining, low, detections, this.o.lowMatchIou);
    for (const [ti, di] of s2.pairs) {
      this.hit(remaining[ti], detections, di, time);
    }
    for (const ti of s2.tracks) {
      remaining[ti].status = 'lost';
      remaining[ti].streak = 0;
    }
    // Stage 3: leftover high-score detections with tentative tracks.
    const leftHigh = s1.dets.map((i) => high[i]);
    const s3 = this.match(tentative, leftHigh, detections, this.o.matchIou);
    for (const [ti, di] of s3.pairs) {
      this.hit(tentative[ti], detections, di, time);
    }
    const dead = new Set<Track>(s3.tracks.map((i) => tentative[i]));
    // Births.
    for (const k of s3.dets) {
      const di = leftHigh[k];
      const d = detections[di];
      const kf = new KalmanBox(toMeasurement(d.box));
      const f = feet(d.box);
      const t: Track = {
        key: this.nextKey++,
        id: 0,
        label: d.label,
        score: d.score,
        kf,
        box: [...d.box] as Box,
        status: 'tentative',
        matched: true,
        detectionIndex: di,
        hits: 1,
        streak: 1,
        firstSeen: time,
        lastSeen: time,
        lastPredicted: time,
        anchor: f,
        anchorSince: time,
      };
      this.confirmIfDue(t);
      this.tracks.push(t);
    }
    // Deaths.
    const maxLostMs = this.o.maxLostSeconds * 1000;
    this.tracks = this.tracks.filter((t) => !dead.has(t) && !(t.status === 'lost' && time - t.lastSeen > maxLostMs));
    return this.tracks.map((t) => this.view(t, time));
  }

  /** Confirmed tracks only (what rules and clients see). */
  confirmed(views: readonly TrackView[]): TrackView[] {
    return views.filter((v) => v.id > 0);
  }

  /** Forgets every track. */
  reset(): void {
    this.tracks = [];
    this.lastTime = -1;
  }

  private match(
    tracks: readonly Track[],
    dets: readonly number[],
    detections: readonly Detection[],
    minIou: number,
  ): { pairs: Array<[number, number]>; tracks: number[]; dets: number[] } {
    if (tracks.length === 0 || dets.length === 0) {
      return { pairs: [], tracks: tracks.map((_, i) => i), dets: dets.map((_, i) => i) };
    }
    const cost = tracks.map((t) =>
      dets.map((di) => {
        const d = detections[di];
        if (d.label !== t.label) {
          return Infinity;
        }
        const v = iou(t.box, d.box);
        if (v >= minIou) {
          return 1 - v;
        }
        // Small, fast objects at a low frame rate do not overlap from one frame to the next until the Kalman
        // filter has learnt their velocity: accept a near centre as the worst acceptable match.
        return t.hits < FAST_MATCH_HITS && this.near(t.box, d.box) ? 1 - minIou : Infinity;
      }),
    );
    const r = assign(cost, 1 - minIou);
    return {
      pairs: r.matches.map(([ti, k]) => [ti, dets[k]] as [number, number]),
      tracks: r.unmatchedRows,
      dets: r.unmatchedCols,
    };
  }

  /** Similar heights (within 25 %) and centres closer than 1.5 box sizes (the larger side of the track's box). */
  private near(a: Box, b: Box): boolean {
    const ha = a[3] - a[1];
    const hb = b[3] - b[1];
    if (hb < ha * 0.8 || hb > ha * 1.25) {
      return false;
    }
    const size = Math.max(a[2] - a[0], ha);
    const dx = (a[0] + a[2] - b[0] - b[2]) / 2;
    const dy = (a[1] + a[3] - b[1] - b[3]) / 2;
    return Math.hypot(dx, dy) <= 1.5 * size;
  }

  private hit(t: Track, detections: readonly Detection[], di: number, time: number): void {
    const d = detections[di];
    t.kf.update(toMeasurement(d.box));
    t.box = [...d.box] as Box;
    t.score = d.score;
    t.matched = true;
    t.detectionIndex = di;
    t.hits++;
    t.streak++;
    t.lastSeen = time;
    if (t.status === 'lost') {
      t.status = 'tracked';
    }
    this.confirmIfDue(t);
    const f = feet(t.box);
    if (distance(f, t.anchor, this.o.scale) > this.o.stationaryRadius) {
      t.anchor = f;
      t.anchorSince = time;
    }
  }

  private confirmIfDue(t: Track): void {
    if (t.status === 'tentative' && t.streak >= this.o.minHits) {
      t.status = 'tracked';
      t.id = this.nextId++;
    }
  }

  private view(t: Track, time: number): TrackView {
    const s = this.o.scale;
    // Feet velocity: centre x velocity, centre y + half height velocity.
    const vx = t.kf.v[0] * s.sx;
    const vy = (t.kf.v[1] + t.kf.v[3] / 2) * s.sy;
    const stationary = t.hits >= 2 && time - t.anchorSince > 0 ? t.anchorSince : -1;
    return {
      id: t.id,
      label: t.label,
      score: t.score,
      box: t.box,
      status: t.status,
      matched: t.matched,
      detectionIndex: t.detectionIndex,
      firstSeen: t.firstSeen,
      lastSeen: t.lastSeen,
      timeInView: (t.lastSeen - t.firstSeen) / 1000,
      velocity: [vx, vy],
      speed: Math.hypot(vx, vy),
      stationarySince: stationary,
      hits: t.hits,
    };
  }
}
