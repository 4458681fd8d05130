/**
 * DeepStream's DBSCAN box clustering, class by class: nvinfer `cluster-mode=1` (DBSCAN) and the DBSCAN half of
 * `cluster-mode=3` (DBSCAN + NMS hybrid). Pure functions, no I/O; boxes in any consistent unit (the post-processing
 * passes network input pixels, as DeepStream does, which matters for the ATHR filter below).
 *
 * Sources followed (NVIDIA, read through the project's code search; paths as stored there):
 * - `nvdsinfer_dbscan.cpp` / `.hpp` / `nvdsinfer_dbscan.h`, the implementation behind `NvDsInferDBScanCluster` and
 *   `NvDsInferDBScanClusterHybrid` (Apache-2.0 copy in NVIDIA-ISAAC-ROS/isaac_ros_object_detection,
 *   `gxf_isaac_detectnet/gxf/deepstream_utils/nvdsinferutils/`; DeepStream 9.x ships the same API as
 *   `sources/libs/nvdsinferutils`).
 * - `nvdsinfer_context_impl_output_parsing.cpp` (DeepStream's nvdsinfer sources): `clusterAndFillDetectionOutputDBSCAN`,
 *   `clusterAndFillDetectionOutputHybrid`, `ATHR_ENABLED = true`, `ATHR_THRESHOLD = 60.0`.
 * - `gstnvinfer_property_parser.{h,cpp}`: config keys `eps`, `minBoxes`, `dbscan-min-score` (each ≥ 0), built-in
 *   defaults eps 0, minBoxes 0, dbscan-min-score 0.
 *
 * What DeepStream does, and so what this file does:
 * - Distance between two boxes of a class: `1 − IoU` (IoU = intersection / (areaA + areaB − intersection), no +1
 *   pixel). Two boxes are neighbours when the distance is strictly below `eps`. (A pair with no area at all gives
 *   NaN and is never a neighbour.)
 * - Boxes are visited in input order. An unvisited box with at least `minBoxes − 1` neighbours (itself counted,
 *   `neighbours + 1 ≥ minBoxes`) starts cluster k. Each of its *direct* neighbours not yet visited is visited and
 *   joins cluster k only if it is itself a core box (`its neighbours + 1 ≥ minBoxes`). DeepStream merges that
 *   neighbour's neighbour list into the seed's, but its loop runs over the seed's original neighbour count, so
 *   neighbours of neighbours are never reached, and non-core neighbours (border boxes) belong to no cluster. This
 *   is narrower than textbook DBSCAN; it is reproduced on purpose. Boxes in no cluster are dropped.
 * - `NvDsInferDBScanCluster` (mode `dbscan`) turns each cluster into one box: the members' confidence-weighted mean
 *   of left, top, width and height; its score is the members' **maximum** confidence. A cluster whose summed
 *   member confidence is below `minScore` (`dbscan-min-score`) is dropped. Then the area-to-hit-ratio filter, which
 *   nvinfer always enables with threshold 60: the cluster is dropped when `sqrt(width · height) / (members + 1) >
 *   60` (DeepStream's member count starts at 1 before counting the members; kept as is).
 * - `NvDsInferDBScanClusterHybrid` (mode `dbscan+nms`) only labels: it returns the clustered boxes unchanged, in
 *   input order, without the minScore or ATHR filters; nvinfer then runs its per-class NMS on them.
 * - nvinfer runs DBSCAN on a class only when its `minBoxes > 0`; with `minBoxes = 0` the class's candidates pass
 *   through unclustered (mode `dbscan`) or go straight to NMS (mode `dbscan+nms`).
 *
 * Differences: arithmetic is in double precision (DeepStream uses float32), so a distance within ~1e-7 of `eps`
 * may fall the other way; a cluster whose confidences sum to 0 is dropped (DeepStream would divide by zero).
 */
import type { Candidate } from './nms';

/** DBSCAN parameters of one class (DeepStream's `[class-attrs-*]` `eps`, `minBoxes`, `dbscan-min-score`). */
export interface DbscanParams {
  /** Two boxes are neighbours when `1 − IoU < eps`. */
  eps: number;
  /** A box is a core box when `neighbours + 1 ≥ minBoxes`. 0 = the class is not clustered. */
  minBoxes: number;
  /** Mode `dbscan` drops clusters whose summed member confidence is below this. */
  minScore: number;
}

/** Options of `dbscanCluster`. */
export interface DbscanOptions {
  /** DeepStream's hybrid variant: keep the clustered boxes unmerged (the caller runs NMS on them). @defaultValue false */
  hybrid?: boolean;
  /**
   * Area-to-hit-ratio threshold for merged clusters (input pixels); `null` disables the filter.
   * @defaultValue DEEPSTREAM_ATHR_THRESHOLD (60, always enabled in nvinfer)
   */
  athrThreshold?: number | null;
}

/** nvinfer's area-to-hit-ratio threshold (`ATHR_THRESHOLD`, with `ATHR_ENABLED = true`). */
export const DEEPSTREAM_ATHR_THRESHOLD = 60;

/** DeepStream's DBSCAN distance between two boxes: `1 − IoU` (NaN when both have no area). */
export function boxDistance(a: Candidate, b: Candidate): number {
  const areaA = (a.x2 - a.x1) * (a.y2 - a.y1);
  const areaB = (b.x2 - b.x1) * (b.y2 - b.y1);
  const iw = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1));
  const ih = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
  const inter = iw * ih;
  return 1 - inter / (areaA + areaB - inter);
}

/**
 * DeepStream's cluster labelling of one class's boxes: the cluster id of each box (0, 1, … in order of discovery)
 * or -1 for a box in no cluster. See the file header for the exact (one-hop) expansion rule.
 */
export function dbscanLabels(boxes: readonly Candidate[], eps: number, minBoxes: number): { labels: Int32Array; clusters: number } {
  const n = boxes.length;
  const labels = new Int32Array(n).fill(-1);
  const visited = new Uint8Array(n);
  // DeepStream's neighbour lists (every other box closer than eps), each pair's distance computed once.
  const neighbours: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (boxDistance(boxes[i], boxes[j]) < eps) {
        neighbours[i].push(j);
        neighbours[j].push(i);
      }
    }
  }
  let clusters = 0;
  for (let i = 0; i < n; i++) {
    if (visited[i]) {
      continue;
    }
    visited[i] = 1;
    const nb = neighbours[i];
    if (nb.length + 1 < minBoxes) {
      continue;
    }
    labels[i] = clusters;
    for (const j of nb) {
      if (!visited[j]) {
        visited[j] = 1;
        if (neighbours[j].length + 1 >= minBoxes) {
          labels[j] = clusters;
        }
      }
    }
    clusters++;
  }
  return { labels, clusters };
}

/** `NvDsInferDBScanCluster` on one class: one merged box per surviving cluster, in cluster order. */
function mergeClusters(boxes: readonly Candidate[], p: DbscanParams, athr: number | null): Candidate[] {
  const { labels, clusters } = dbscanLabels(boxes, p.eps, p.minBoxes);
  // Per cluster: total score, best score, members, score-weighted left, top, width, height.
  const acc = new Float64Array(clusters * 7);
  for (let i = 0; i < boxes.length; i++) {
    const k = labels[i];
    if (k < 0) {
      continue;
    }
    const b = boxes[i];
    const s = b.score;
    const o = k * 7;
    acc[o] += s;
    acc[o + 1] = Math.max(acc[o + 1], s);
    acc[o + 2]++;
    acc[o + 3] += s * b.x1;
    acc[o + 4] += s * b.y1;
    acc[o + 5] += s * (b.x2 - b.x1);
    acc[o + 6] += s * (b.y2 - b.y1);
  }
  const out: Candidate[] = [];
  for (let k = 0; k < clusters; k++) {
    const o = k * 7;
    const total = acc[o];
    if (total < p.minScore || !(total > 0)) {
      continue;
    }
    const left = acc[o + 3] / total;
    const top = acc[o + 4] / total;
    const width = acc[o + 5] / total;
    const height = acc[o + 6] / total;
    if (athr !== null && Math.sqrt(width * height) / (acc[o + 2] + 1) > athr) {
      continue;
    }
    out.push({ classId: boxes[0].classId, score: acc[o + 1], x1: left, y1: top, x2: left + width, y2: top + height });
  }
  return out;
}

/**
 * Clusters candidates class by class with DeepStream's DBSCAN. `paramsOf(classId)` gives each class's parameters.
 * Default: merged boxes (`cluster-mode=1`); `hybrid`: the clustered boxes themselves, outliers removed, for NMS
 * (`cluster-mode=3`). Classes never mix. Output: grouped by class in order of first appearance, each class in
 * cluster order (merged) or input order (hybrid, or `minBoxes = 0`); callers sort as they need.
 */
export function dbscanCluster(
  candidates: readonly Candidate[],
  paramsOf: (classId: number) => DbscanParams,
  options: DbscanOptions = {},
): Candidate[] {
  const athr = options.athrThreshold === undefined ? DEEPSTREAM_ATHR_THRESHOLD : options.athrThreshold;
  const byClass = new Map<number, Candidate[]>();
  for (const c of candidates) {
    let list = byClass.get(c.classId);
    if (!list) {
      list = [];
      byClass.set(c.classId, list);
    }
    list.push(c);
  }
  const out: Candidate[] = [];
  for (const [classId, boxes] of byClass) {
    const p = paramsOf(classId);
    if (!(p.minBoxes > 0)) {
      out.push(...boxes);
    } else if (options.hybrid) {
      const { labels } = dbscanLabels(boxes, p.eps, p.minBoxes);
      out.push(...boxes.filter((_, i) => labels[i] !== -1));
    } else {
      out.push(...mergeClusters(boxes, p, athr));
    }
  }
  return out;
}
