/**
 * The decision pass of `vigil eval`: a detected clip's boxes, filtered at one score setting, through the live
 * decision path (tracker, rules, alert lifecycle: the alerts stage's CameraEngine, as `vigil replay` runs it), with
 * the frames' video times as the clock. Returns the alerts raised, the confirmed tracks per frame (for MOT files)
 * and the time spent. Pure apart from the clock it reads for timing.
 */
import type { VigilConfig } from '../config/schema';
import type { Alert, Detection, DetectionResult, FaceObservation } from '../core/types';
import { CameraEngine } from '../track/camera-engine';
import { engineConfigOf } from '../track/engine-config';
import type { RaisedAlert } from './alert-quality';
import type { DetectedClip } from './clip';

/** Capture time (epoch ms) of the video's first frame in the run: 1970-01-01T00:00:00Z (rule schedules see this clock). */
export const CLIP_EPOCH_MS = 0;

/** One confirmed, matched track in one frame; box in video pixels (MOTChallenge: left, top, width, height). */
export interface TrackRow {
  /** 1-based frame number of the video file. */
  frame: number;
  id: number;
  label: string;
  score: number;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** What one decision pass produced. */
export interface RulesRun {
  alerts: RaisedAlert[];
  /** Every alert as the engine raised it (start event). */
  raw: Alert[];
  tracks: TrackRow[];
  /** Milliseconds spent in the tracker and rules. */
  ms: number;
}

/** Per-label score thresholds of a setting: `score` for every class, except the config's own class thresholds. */
export function keepAt(config: VigilConfig, score: number): (d: Detection) => boolean {
  const per = config.models.detector.classThresholds;
  return (d) => d.score >= (per[d.label] ?? score);
}

/** An alert's start time in seconds from the video's start, and what alert quality compares. */
export function raised(a: Alert): RaisedAlert {
  return {
    id: a.id,
    rule: a.rule,
    t: (Date.parse(a.startedAt) - CLIP_EPOCH_MS) / 1000,
    ...(a.direction !== undefined ? { direction: a.direction } : {}),
    objects: [...new Set(a.objects.map((o) => o.label))],
  };
}

/**
 * Pure: a frame's boxes kept by `keep`, and its faces as the daemon would have them at `faceThreshold`: a match at a
 * distance of the threshold or more is no match; a face found in a box that was dropped is dropped (faces point at
 * their person box by index, renumbered here); faces found in the whole frame stay.
 */
export function filterFrame(
  detections: readonly Detection[],
  faces: readonly FaceObservation[] | undefined,
  keep: (d: Detection) => boolean,
  faceThreshold?: number,
): { detections: Detection[]; faces?: FaceObservation[] } {
  const index = new Map<number, number>();
  const kept: Detection[] = [];
  detections.forEach((d, i) => {
    if (keep(d)) {
      index.set(i, kept.length);
      kept.push(d);
    }
  });
  if (!faces) {
    return { detections: kept };
  }
  const out: FaceObservation[] = [];
  for (const f of faces) {
    if (f.detectionIndex !== undefined && !index.has(f.detectionIndex)) {
      continue;
    }
    const g: FaceObservation = { ...f };
    if (f.detectionIndex !== undefined) {
      g.detectionIndex = index.get(f.detectionIndex)!;
    }
    if (g.match && faceThreshold !== undefined && !(g.match.distance < faceThreshold)) {
      delete g.match;
    }
    out.push(g);
  }
  return { detections: kept, faces: out };
}

/** Runs the tracker and rules over `clip` with detections kept by `keep` (and faces matched below `faceThreshold`). */
export function runRules(config: VigilConfig, clip: DetectedClip, keep: (d: Detection) => boolean, o: { tracks?: boolean; faceThreshold?: number } = {}): RulesRun {
  const cam = config.cameras.find((c) => c.id === clip.camera);
  if (!cam) {
    throw new TypeError(`the config has no camera "${clip.camera}"`);
  }
  const engine = new CameraEngine(engineConfigOf(config, cam));
  const raw: Alert[] = [];
  const tracks: TrackRow[] = [];
  let n = 0;
  const take = (changes: ReturnType<CameraEngine['process']>['changes']) => {
    for (const c of changes) {
      if (c.event === 'start') {
        engine.lifecycle.setId(c.handle, `eval-${++n}`);
        c.alert.id = c.handle.alert.id;
        raw.push(c.alert);
      }
    }
  };
  const W = clip.videoWidth;
  const H = clip.videoHeight;
  const t0 = performance.now();
  for (const f of clip.frames) {
    const capturedAt = CLIP_EPOCH_MS + Math.round(f.t * 1000);
    const kept = filterFrame(f.detections, f.faces, keep, o.faceThreshold ?? config.faces.threshold);
    const result: DetectionResult = {
      camera: clip.camera,
      seq: f.seq,
      frameKey: '',
      width: clip.width,
      height: clip.height,
      format: 'rgb24',
      times: { capturedAt, queuedAt: capturedAt },
      model: clip.model,
      detections: kept.detections,
      ...(kept.faces ? { faces: kept.faces } : {}),
    };
    const out = engine.process(result, capturedAt);
    take(out.changes);
    if (o.tracks !== false) {
      for (const t of out.objects) {
        const [x1, y1, x2, y2] = t.box;
        tracks.push({ frame: f.videoFrame + 1, id: t.trackId, label: t.label, score: t.score, x: x1 * W, y: y1 * H, w: (x2 - x1) * W, h: (y2 - y1) * H });
      }
    }
  }
  const ms = performance.now() - t0;
  return { alerts: raw.map(raised), raw, tracks, ms };
}

/** MOTChallenge tracker output lines (`frame,id,left,top,width,height,conf,-1,-1,-1`). */
export function motLines(rows: readonly TrackRow[]): string {
  const r2 = (v: number) => Math.round(v * 100) / 100;
  return rows.map((r) => `${r.frame},${r.id},${r2(r.x)},${r2(r.y)},${r2(r.w)},${r2(r.h)},${Math.round(r.score * 1000) / 1000},-1,-1,-1\n`).join('');
}
