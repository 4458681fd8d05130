/**
 * Pure post-processing shared by every family: per-class score thresholds, class filter, clustering (class-wise
 * NMS, DeepStream's DBSCAN, or DBSCAN then NMS), label names, and mapping from network input pixels to frame
 * fractions.
 */
import type { Detection } from '../core/types';
import { dbscanCluster, type DbscanParams } from './dbscan';
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
  /** NMS IoU threshold (modes `nms` and `dbscan+nms`). */
  nmsIou: number;
  /** How candidates are clustered into detections (absent: class-wise NMS, mode `nms`). */
  cluster?: ClusterOptions;
  /** At most this many detections per frame. @defaultValue 300 */
  maxDetections?: number;
}

/** Clustering algorithms: DeepStream nvinfer `cluster-mode` 2 (`nms`), 1 (`dbscan`), 3 (`dbscan+nms`). */
export type ClusterMode = 'nms' | 'dbscan' | 'dbscan+nms';

/** Clustering options, resolved from `models.detector.cluster`. */
export interface ClusterOptions extends DbscanParams {
  mode: ClusterMode;
  /** Per-label overrides of the DBSCAN parameters (labels the model lacks are ignored). */
  perClass?: Readonly<Record<string, Partial<DbscanParams>>>;
}

/** A compiled filter: the threshold of each class id (Infinity = class filtered out). */
export interface ClassFilter {
  thresholds: Float32Array;
  /** The lowest threshold of any kept class: the decoders' early cut. */
  minScore: number;
  /** DBSCAN parameters of each class id (absent in mode `nms`). */
  dbscan?: readonly DbscanParams[];
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
  const c = opts.cluster;
  if (!c || c.mode === 'nms') {
    return { thresholds, minScore };
  }
  const dbscan: DbscanParams[] = [];
  for (let i = 0; i < numClasses; i++) {
    const o = c.perClass?.[labelOf(opts.labels, i)];
    dbscan.push({ eps: o?.eps ?? c.eps, minBoxes: o?.minBoxes ?? c.minBoxes, minScore: o?.minScore ?? c.minScore });
  }
  return { thresholds, minScore, dbscan };
}

/**
 * Clusters thresholded candidates the way `opts.cluster.mode` says (class-wise throughout); the result is sorted by
 * score, highest first, at most `maxDetections`.
 */
export function cluster(candidates: readonly Candidate[], filter: ClassFilter, opts: PostprocessOptions): Candidate[] {
  const max = opts.maxDetections ?? 300;
  const c = opts.cluster;
  if (!c || c.mode === 'nms') {
    return nms(candidates, opts.nmsIou, max);
  }
  const paramsOf = (id: number): DbscanParams => filter.dbscan?.[id] ?? c;
  if (c.mode === 'dbscan+nms') {
    return nms(dbscanCluster(candidates, paramsOf, { hybrid: true }), opts.nmsIou, max);
  }
  return dbscanCluster(candidates, paramsOf)
    .sort((a, b) => b.score - a.score)
    .slice(0, max);
}

/** Filters, clusters and converts candidates (input pixels) into detections (frame fractions). */
export function postprocess(
  candidates: readonly Candidate[],
  filter: ClassFilter,
  opts: PostprocessOptions,
  transform: FrameTransform,
): Detection[] {
  const kept = candidates.filter((c) => c.score >= (filter.thresholds[c.classId] ?? Infinity));
  const out: Detection[] = [];
  for (const c of cluster(kept, filter, opts)) {
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
