/**
 * Test helpers: synthetic pedestrian scenes and the MOT metrics (ID switches, IDF1) used to hold the tracker's
 * quality in tests.
 */
import { assign } from '../../src/track/assignment';
import { iou } from '../../src/core/geometry';
import type { Box, Detection } from '../../src/core/types';

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One ground-truth object in one frame. */
export interface GtObject {
  gid: number;
  box: Box;
}

/** A synthetic frame: ground truth and what a detector would report. */
export interface SceneFrame {
  time: number;
  gt: GtObject[];
  detections: Detection[];
}

/** A walker: starts at (x, y) feet position at t0, moves at (vx, vy) fractions/s, box w x h. */
export interface Walker {
  x: number;
  y: number;
  vx: number;
  vy: number;
  w: number;
  h: number;
  t0: number;
  t1: number;
}

/** Options of the synthetic detector. */
export interface DetectorNoise {
  /** Probability of missing an object in a frame. */
  miss?: number;
  /** Box jitter, as a fraction of the box size (std dev). */
  jitter?: number;
  /** Expected false detections per frame. */
  falsePerFrame?: number;
  /** Objects more than this fraction hidden behind a nearer one get a low score (0.2-0.4). */
  occludedLow?: number;
}

/** Renders walkers at `fps` for `seconds` and simulates a detector with the given noise. */
export function scene(walkers: Walker[], seconds: number, fps: number, noise: DetectorNoise, seed = 1): SceneFrame[] {
  const r = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const frames: SceneFrame[] = [];
  for (let f = 0; f < seconds * fps; f++) {
    const t = f / fps;
    const gt: GtObject[] = [];
    walkers.forEach((w, gid) => {
      if (t < w.t0 || t > w.t1) {
        return;
      }
      const fx = w.x + w.vx * (t - w.t0);
      const fy = w.y + w.vy * (t - w.t0);
      const box: Box = [fx - w.w / 2, fy - w.h, fx + w.w / 2, fy];
      if (box[2] < 0 || box[0] > 1 || box[3] < 0 || box[1] > 1) {
        return;
      }
      gt.push({ gid, box });
    });
    const detections: Detection[] = [];
    for (const g of gt) {
      if (r() < (noise.miss ?? 0)) {
        continue;
      }
      // Occlusion: a nearer object (lower feet) covering much of this one lowers the score.
      const occluded = gt.some((o) => o !== g && o.box[3] > g.box[3] && iou(o.box, g.box) > (noise.occludedLow ?? 2));
      const j = noise.jitter ?? 0;
      const w = g.box[2] - g.box[0];
      const h = g.box[3] - g.box[1];
      const box: Box = [
        g.box[0] + gauss() * j * w,
        g.box[1] + gauss() * j * h,
        g.box[2] + gauss() * j * w,
        g.box[3] + gauss() * j * h,
      ];
      detections.push({ label: 'person', score: occluded ? 0.2 + 0.2 * r() : 0.6 + 0.35 * r(), box });
    }
    let nf = 0;
    const lambda = noise.falsePerFrame ?? 0;
    // Poisson-ish: one try per 0.25 expected.
    for (let k = 0; k < Math.ceil(lambda * 4); k++) {
      if (r() < lambda / Math.ceil(lambda * 4)) {
        nf++;
      }
    }
    for (let k = 0; k < nf; k++) {
      const x = r() * 0.9;
      const y = r() * 0.7;
      detections.push({ label: 'person', score: 0.5 + 0.15 * r(), box: [x, y, x + 0.04 + 0.04 * r(), y + 0.1 + 0.1 * r()] });
    }
    // Detector output order is arbitrary.
    detections.sort(() => r() - 0.5);
    frames.push({ time: 1_700_000_000_000 + Math.round(t * 1000), gt, detections });
  }
  return frames;
}

/** MOT metrics of a run. */
export interface MotMetrics {
  idSwitches: number;
  idf1: number;
  /** Ground-truth objects matched by some track (per frame), as a fraction. */
  recall: number;
  /** Tracks matching no ground truth, as a fraction of tracker outputs. */
  falsePositiveRate: number;
}

/** Computes ID switches (CLEAR-MOT style) and IDF1 (global identity matching) at IoU 0.5. */
export function motMetrics(frames: Array<{ gt: GtObject[]; tracks: Array<{ id: number; box: Box }> }>): MotMetrics {
  const lastMatch = new Map<number, number>();
  let idSwitches = 0;
  let gtCount = 0;
  let predCount = 0;
  let matched = 0;
  const pairCounts = new Map<string, number>();
  const gids = new Set<number>();
  const pids = new Set<number>();
  for (const f of frames) {
    gtCount += f.gt.length;
    predCount += f.tracks.length;
    f.gt.forEach((g) => gids.add(g.gid));
    f.tracks.forEach((t) => pids.add(t.id));
    const cost = f.gt.map((g) => f.tracks.map((t) => 1 - iou(g.box, t.box)));
    const a = assign(cost, 0.5);
    for (const [gi, ti] of a.matches) {
      const g = f.gt[gi].gid;
      const p = f.tracks[ti].id;
      matched++;
      const prev = lastMatch.get(g);
      if (prev !== undefined && prev !== p) {
        idSwitches++;
      }
      lastMatch.set(g, p);
    }
    // IDF1 counts every (gt, track) pair overlapping at IoU >= 0.5 in a frame.
    for (const g of f.gt) {
      for (const t of f.tracks) {
        if (iou(g.box, t.box) >= 0.5) {
          const k = `${g.gid}:${t.id}`;
          pairCounts.set(k, (pairCounts.get(k) ?? 0) + 1);
        }
      }
    }
  }
  const G = [...gids];
  const P = [...pids];
  const maxPair = Math.max(1, ...pairCounts.values());
  const cost = G.map((g) => P.map((p) => maxPair - (pairCounts.get(`${g}:${p}`) ?? 0)));
  const a = assign(cost, maxPair - 1);
  let idtp = 0;
  for (const [gi, pi] of a.matches) {
    idtp += pairCounts.get(`${G[gi]}:${P[pi]}`) ?? 0;
  }
  return {
    idSwitches,
    idf1: gtCount + predCount > 0 ? (2 * idtp) / (gtCount + predCount) : 1,
    recall: gtCount ? matched / gtCount : 1,
    falsePositiveRate: predCount ? (predCount - matched) / predCount : 0,
  };
}
