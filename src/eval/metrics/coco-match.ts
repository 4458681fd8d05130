/**
 * Per-image matching of COCOeval (pycocotools' evaluateImg, iouType 'bbox'), for one image, one category (or all
 * categories pooled) and one area range:
 * - detections sorted by score (stable: equal scores keep file order), the first maxDet kept;
 * - gt boxes that are crowd or outside the area range are "ignored" and sorted after the others;
 * - at each IoU threshold each detection in turn takes the unmatched gt box of highest IoU ≥ the threshold,
 *   preferring a regular box: once it holds a regular match it stops at the first ignored box; a crowd box can be
 *   matched any number of times (its IoU is intersection / detection area);
 * - a detection matched to an ignored box, or unmatched and outside the area range, is ignored (neither TP nor FP).
 */
import { cocoIouMatrix } from './iou';
import type { XywhBox } from './types';

/** A gt box as the matcher sees it. */
export interface MatchGt {
  bbox: XywhBox;
  area: number;
  iscrowd: boolean;
}

/** A detection as the matcher sees it. */
export interface MatchDt {
  bbox: XywhBox;
  area: number;
  score: number;
}

/** Result of one image: per IoU threshold, whether each kept detection matched and whether it is ignored. */
export interface ImageEval {
  /** Scores of the kept detections, best first. */
  dtScores: Float64Array;
  /** [threshold x detections + detection]: 1 when the detection matched a gt box. */
  dtMatched: Uint8Array;
  /** [threshold x detections + detection]: 1 when the detection is ignored. */
  dtIgnore: Uint8Array;
  /** Gt boxes that count (not crowd, inside the area range). */
  numRegularGt: number;
}

/** Stable order of indices by a key (ascending), like numpy's argsort(kind='mergesort'). */
export function stableOrder(n: number, key: (i: number) => number): number[] {
  return Array.from({ length: n }, (_, i) => i).sort((a, b) => key(a) - key(b) || a - b);
}

/**
 * Detections of an image sorted best first and cut to `maxDet`, and their IoU with the image's gt boxes (in the
 * gt's given order). Computed once per image and category, shared by the area ranges.
 */
export function prepareImage(gt: readonly MatchGt[], dt: readonly MatchDt[], maxDet: number): { dt: MatchDt[]; ious: Float64Array } {
  const order = stableOrder(dt.length, (i) => -dt[i].score).slice(0, maxDet);
  const sorted = order.map((i) => dt[i]);
  const m = cocoIouMatrix(
    sorted.map((d) => d.bbox),
    gt.map((g) => g.bbox),
    gt.map((g) => g.iscrowd),
  );
  return { dt: sorted, ious: m.data };
}

/** Matches one image for one area range. `dt` and `ious` come from {@link prepareImage}; null when both are empty. */
export function evaluateImage(
  gt: readonly MatchGt[],
  dt: readonly MatchDt[],
  ious: Float64Array,
  areaRange: readonly [number, number],
  maxDet: number,
  iouThresholds: readonly number[],
): ImageEval | null {
  if (gt.length === 0 && dt.length === 0) {
    return null;
  }
  const [lo, hi] = areaRange;
  const ignoreOf = gt.map((g) => (g.iscrowd || g.area < lo || g.area > hi ? 1 : 0));
  const gtOrder = stableOrder(gt.length, (i) => ignoreOf[i]);
  const G = gt.length;
  const D = Math.min(dt.length, maxDet);
  const gtIgnore = Uint8Array.from(gtOrder, (i) => ignoreOf[i]);
  const crowd = gtOrder.map((i) => gt[i].iscrowd);
  const iou = (d: number, g: number): number => ious[d * G + gtOrder[g]];
  const T = iouThresholds.length;
  const dtMatched = new Uint8Array(T * D);
  const dtIgnore = new Uint8Array(T * D);
  const gtMatched = new Uint8Array(G);
  for (let t = 0; t < T; t++) {
    const threshold = iouThresholds[t];
    gtMatched.fill(0);
    if (G > 0) {
      for (let d = 0; d < D; d++) {
        let best = Math.min(threshold, 1 - 1e-10);
        let m = -1;
        for (let g = 0; g < G; g++) {
          if (gtMatched[g] && !crowd[g]) {
            continue;
          }
          if (m > -1 && gtIgnore[m] === 0 && gtIgnore[g] === 1) {
            break;
          }
          const o = iou(d, g);
          if (o < best) {
            continue;
          }
          best = o;
          m = g;
        }
        if (m === -1) {
          continue;
        }
        dtIgnore[t * D + d] = gtIgnore[m];
        dtMatched[t * D + d] = 1;
        gtMatched[m] = 1;
      }
    }
    for (let d = 0; d < D; d++) {
      if (!dtMatched[t * D + d] && (dt[d].area < lo || dt[d].area > hi)) {
        dtIgnore[t * D + d] = 1;
      }
    }
  }
  let numRegularGt = 0;
  gtIgnore.forEach((x) => (numRegularGt += x === 0 ? 1 : 0));
  return { dtScores: Float64Array.from(dt.slice(0, D), (d) => d.score), dtMatched, dtIgnore, numRegularGt };
}
