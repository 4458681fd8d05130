/**
 * Pure post-processing shared by every family: per-class score thresholds, class filter, class-wise NMS, label
 * names, and mapping from network input pixels to frame fractions.
 */
import type { Detection } from '../core/types';
import { labelOf } from './labels';
import { nms, type Candidate } from './nms';
import { inputBoxToFrame, type FrameTransform } from './preprocess';

/** Options of `postprocess`, resolved from `models.detector`. */
export interface PostprocessOptions {
  labels: readonly string[];
  /** Minimum score for every class. */
  scoreThreshold: number;
  /** Per-label minimum scores overriding `scoreThreshold`. */
  classThresholds: Readonly<Record<string, number>>;
  /** Keep only these labels (undefined = all). */
  classes?: readonly string[];
  /** NMS IoU threshold. */
  nmsIou: number;
  /** At most this many detections per frame. @defaultValue 300 */
  maxDetections?: number;
}

/** A compiled filter: the threshold of each class id (Infinity = class filtered out). */
export interface ClassFilter {
  thresholds: Float32Array;
  /** The lowest threshold of any kept class: the decoders' early cut. */
  minScore: number;
}

/** Compiles per-class thresholds and the class filter for a model with `numClasses` classes. */
export function compileFilter(opts: PostprocessOptions, numClasses: number): ClassFilter {
  const keep = opts.classes ? new Set(opts.classes) : undefined;
  const thresholds = new Float32Array(numClasses);
  let minScore = Infinity;
  for (let i = 0; i < numClasses; i++) {
    const label = labelOf(opts.labels, i);
    const t = keep && !keep.has(label) ? Infinity : (opts.classThresholds[label] ?? opts.scoreThreshold);
    thresholds[i] = t;
    minScore = Math.min(minScore, t);
  }
  return { thresholds, minScore };
}

/** Filters, suppresses and converts candidates (input pixels) into detections (frame fractions). */
export function postprocess(
  candidates: readonly Candidate[],
  filter: ClassFilter,
  opts: PostprocessOptions,
  transform: FrameTransform,
): Detection[] {
  const kept = candidates.filter((c) => c.score >= (filter.thresholds[c.classId] ?? Infinity));
  const out: Detection[] = [];
  for (const c of nms(kept, opts.nmsIou, opts.maxDetections ?? 300)) {
    const box = inputBoxToFrame(c.x1, c.y1, c.x2, c.y2, transform);
    if (box[2] <= box[0] || box[3] <= box[1]) {
      continue;
    }
    out.push({ label: labelOf(opts.labels, c.classId), classId: c.classId, score: round4(c.score), box: box.map(round5) as Detection['box'] });
  }
  return out;
}

function round4(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}

function round5(v: number): number {
  return Math.round(v * 1e5) / 1e5;
}
