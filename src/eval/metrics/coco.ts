/**
 * COCO box evaluation as pycocotools' COCOeval (iouType 'bbox') computes it: evaluate (per-image matching,
 * src/eval/metrics/coco-match.ts), accumulate (101-point interpolated precision per IoU threshold, category, area
 * range and max detections) and summarize (the 12 stats), plus the same stats per category and PR curves.
 *
 * One deliberate difference: pycocotools records a match by the gt annotation's id, so a gt box whose id is 0 can
 * never be matched; here a match is a flag, so any id in the file works.
 */
import { evaluateImage, prepareImage, stableOrder, type ImageEval, type MatchDt, type MatchGt } from './coco-match';
import type { AreaRange, CocoClassResult, CocoDtBox, CocoEvalOptions, CocoEvalResult, CocoGroundTruth, CocoStats, PrCurve } from './types';

/** numpy.linspace(start, stop, num): start + i x step, the last value exactly stop. */
export function linspace(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  return Array.from({ length: num }, (_, i) => (i === num - 1 ? stop : i * step + start));
}

export const COCO_IOU_THRESHOLDS = linspace(0.5, 0.95, 10);
export const COCO_RECALL_THRESHOLDS = linspace(0, 1, 101);
export const COCO_AREA_RANGES: AreaRange[] = [
  { label: 'all', range: [0, 1e5 ** 2] },
  { label: 'small', range: [0, 32 ** 2] },
  { label: 'medium', range: [32 ** 2, 96 ** 2] },
  { label: 'large', range: [96 ** 2, 1e5 ** 2] },
];

const NP_SPACING_1 = 2.220446049250313e-16;

/** The accumulated arrays: precision and scores [T][R][K][A][M], recall [T][K][A][M]; -1 where undefined. */
interface Accumulated {
  T: number;
  R: number;
  K: number;
  A: number;
  M: number;
  precision: Float64Array;
  scores: Float64Array;
  recall: Float64Array;
}

function accumulate(evals: (ImageEval | null)[][][], maxDets: number[], T: number, R: number, recThrs: number[]): Accumulated {
  const K = evals.length;
  const A = evals[0]?.length ?? 0;
  const M = maxDets.length;
  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const scores = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);
  for (let k = 0; k < K; k++) {
    for (let a = 0; a < A; a++) {
      const E = evals[k][a].filter((e): e is ImageEval => e !== null);
      const npig = E.reduce((s, e) => s + e.numRegularGt, 0);
      if (E.length === 0 || npig === 0) {
        continue;
      }
      // All images' detections concatenated in image order: scores, and per threshold the match/ignore flags.
      const N = E.reduce((s, e) => s + e.dtScores.length, 0);
      const allScores = new Float64Array(N);
      const rank = new Int32Array(N); // position of a detection within its image (best first)
      const matched = new Uint8Array(T * N);
      const ignored = new Uint8Array(T * N);
      let off = 0;
      for (const e of E) {
        const D = e.dtScores.length;
        for (let d = 0; d < D; d++) {
          allScores[off + d] = e.dtScores[d];
          rank[off + d] = d;
          for (let t = 0; t < T; t++) {
            matched[t * N + off + d] = e.dtMatched[t * D + d];
            ignored[t * N + off + d] = e.dtIgnore[t * D + d];
          }
        }
        off += D;
      }
      for (let m = 0; m < M; m++) {
        // The first maxDet detections of each image, sorted by score; equal scores keep concatenation order
        // (numpy's stable mergesort).
        const maxDet = maxDets[m];
        const inds = Int32Array.from(stableOrder(N, (i) => -allScores[i]).filter((i) => rank[i] < maxDet));
        const nd = inds.length;
        const rc = new Float64Array(nd);
        const pr = new Float64Array(nd);
        for (let t = 0; t < T; t++) {
          let tp = 0;
          let fp = 0;
          for (let n = 0; n < nd; n++) {
            const i = t * N + inds[n];
            if (!ignored[i]) {
              if (matched[i]) {
                tp++;
              } else {
                fp++;
              }
            }
            rc[n] = tp / npig;
            pr[n] = tp / (fp + tp + NP_SPACING_1);
          }
          recall[((t * K + k) * A + a) * M + m] = nd ? rc[nd - 1] : 0;
          for (let n = nd - 1; n > 0; n--) {
            if (pr[n] > pr[n - 1]) {
              pr[n - 1] = pr[n];
            }
          }
          // searchsorted(rc, recThrs, 'left'): first index with rc >= threshold; past the end the value stays 0.
          let pi = 0;
          for (let r = 0; r < R; r++) {
            while (pi < nd && rc[pi] < recThrs[r]) {
              pi++;
            }
            const at = (((t * R + r) * K + k) * A + a) * M + m;
            precision[at] = pi < nd ? pr[pi] : 0;
            scores[at] = pi < nd ? allScores[inds[pi]] : 0;
          }
        }
      }
    }
  }
  return { T, R, K, A, M, precision, scores, recall };
}

/** Mean of the entries > -1, or -1 when there is none (COCOeval._summarize). */
function meanDefined(values: number[]): number {
  const defined = values.filter((x) => x > -1);
  return defined.length === 0 ? -1 : defined.reduce((s, x) => s + x, 0) / defined.length;
}

function summarize(acc: Accumulated, ks: number[], iouThrs: number[], areaLabels: string[], maxDets: number[]): CocoStats {
  const { T, R, K, A, M } = acc;
  const aIndex = (label: string): number => areaLabels.indexOf(label);
  const mIndex = (md: number): number => maxDets.indexOf(md);
  const ap = (iouThr: number | null, area: string, md: number): number => {
    const ts = iouThr === null ? [...Array(T).keys()] : [iouThrs.indexOf(iouThr)].filter((t) => t >= 0);
    const a = aIndex(area);
    const m = mIndex(md);
    if (a < 0 || m < 0) {
      return -1;
    }
    const out: number[] = [];
    for (const t of ts) {
      for (let r = 0; r < R; r++) {
        for (const k of ks) {
          out.push(acc.precision[((((t * R + r) * K + k) * A + a) * M + m)]);
        }
      }
    }
    return meanDefined(out);
  };
  const ar = (area: string, md: number): number => {
    const a = aIndex(area);
    const m = mIndex(md);
    if (a < 0 || m < 0) {
      return -1;
    }
    const out: number[] = [];
    for (let t = 0; t < T; t++) {
      for (const k of ks) {
        out.push(acc.recall[((t * K + k) * A + a) * M + m]);
      }
    }
    return meanDefined(out);
  };
  const top = maxDets[maxDets.length - 1];
  return {
    ap: ap(null, 'all', top),
    ap50: ap(0.5, 'all', top),
    ap75: ap(0.75, 'all', top),
    apSmall: ap(null, 'small', top),
    apMedium: ap(null, 'medium', top),
    apLarge: ap(null, 'large', top),
    ar1: ar('all', maxDets[0]),
    ar10: ar('all', maxDets[1]),
    ar100: ar('all', top),
    arSmall: ar('small', top),
    arMedium: ar('medium', top),
    arLarge: ar('large', top),
  };
}

/** PR curves of category k (area all, largest maxDets) at IoU 0.5, 0.75 and averaged over the thresholds. */
function prCurves(acc: Accumulated, k: number, iouThrs: number[], recThrs: number[]): PrCurve[] {
  const { T, R, K, A, M } = acc;
  const at = (t: number, r: number): number => ((((t * R + r) * K + k) * A + 0) * M + (M - 1));
  const curve = (t: number): PrCurve => ({
    iouThreshold: iouThrs[t],
    recall: [...recThrs],
    precision: recThrs.map((_, r) => acc.precision[at(t, r)]),
    scores: recThrs.map((_, r) => acc.scores[at(t, r)]),
  });
  const out = [0.5, 0.75].map((x) => iouThrs.indexOf(x)).filter((t) => t >= 0).map(curve);
  out.push({
    iouThreshold: NaN,
    recall: [...recThrs],
    precision: recThrs.map((_, r) => meanDefined([...Array(T).keys()].map((t) => acc.precision[at(t, r)]))),
    scores: recThrs.map((_, r) => meanDefined([...Array(T).keys()].map((t) => acc.scores[at(t, r)]))),
  });
  return out;
}

const STAT_ORDER: (keyof CocoStats)[] = ['ap', 'ap50', 'ap75', 'apSmall', 'apMedium', 'apLarge', 'ar1', 'ar10', 'ar100', 'arSmall', 'arMedium', 'arLarge'];

/** Evaluates detections against a COCO ground truth: per-class and overall AP/AR (the 12 COCO stats) and PR curves. */
export function evaluateCoco(gt: CocoGroundTruth, dt: readonly CocoDtBox[], opts: CocoEvalOptions = {}): CocoEvalResult {
  const iouThrs = opts.iouThresholds ?? COCO_IOU_THRESHOLDS;
  const recThrs = opts.recallThresholds ?? COCO_RECALL_THRESHOLDS;
  const maxDets = opts.maxDets ?? [1, 10, 100];
  const useCats = opts.useCats ?? true;
  const areaRanges = COCO_AREA_RANGES;
  const imageIds = [...new Set(opts.imageIds ?? gt.images.map((i) => i.id))].sort((a, b) => a - b);
  const categoryIds = [...new Set(opts.categoryIds ?? gt.categories.map((c) => c.id))].sort((a, b) => a - b);
  const knownImages = new Set(gt.images.map((i) => i.id));
  dt.forEach((d, i) => {
    if (!knownImages.has(d.imageId)) {
      throw new Error(`detection ${i + 1}: image_id ${d.imageId} is not an image of the ground truth`);
    }
  });
  const imgSet = new Set(imageIds);
  const catSet = new Set(categoryIds);
  const catKey = (c: number): number => (useCats ? c : -1);
  const key = (img: number, cat: number): string => `${img}/${cat}`;
  const gts = new Map<string, MatchGt[]>();
  const dts = new Map<string, MatchDt[]>();
  const push = <X>(map: Map<string, X[]>, k: string, x: X): void => {
    const list = map.get(k);
    if (list) {
      list.push(x);
    } else {
      map.set(k, [x]);
    }
  };
  // Regular-order grouping: per image then category, file order within (as COCOeval's _prepare and, with useCats
  // off, computeIoU's concatenation by category).
  const byCat = <X extends { categoryId: number }>(xs: readonly X[]): X[] =>
    useCats ? [...xs] : stableOrder(xs.length, (i) => xs[i].categoryId).map((i) => xs[i]);
  byCat(gt.annotations).forEach((g) => {
    if (imgSet.has(g.imageId) && catSet.has(g.categoryId)) {
      push(gts, key(g.imageId, catKey(g.categoryId)), { bbox: g.bbox, area: g.area, iscrowd: g.iscrowd });
    }
  });
  byCat(dt).forEach((d) => {
    if (imgSet.has(d.imageId) && catSet.has(d.categoryId)) {
      push(dts, key(d.imageId, catKey(d.categoryId)), { bbox: d.bbox, area: d.area ?? d.bbox[2] * d.bbox[3], score: d.score });
    }
  });
  const cats = useCats ? categoryIds : [-1];
  const evals = cats.map((c) => {
    const prepared = imageIds.map((img) => {
      const g = gts.get(key(img, c)) ?? [];
      const p = prepareImage(g, dts.get(key(img, c)) ?? [], maxDets[maxDets.length - 1]);
      return { g, ...p };
    });
    return areaRanges.map((ar) =>
      prepared.map((p) => evaluateImage(p.g, p.dt, p.ious, ar.range, maxDets[maxDets.length - 1], iouThrs)),
    );
  });
  const acc = accumulate(evals, maxDets, iouThrs.length, recThrs.length, recThrs);
  const labels = areaRanges.map((a) => a.label);
  const overall = summarize(acc, [...cats.keys()], iouThrs, labels, maxDets);
  const names = new Map(gt.categories.map((c) => [c.id, c.name]));
  const perClass: CocoClassResult[] = useCats
    ? cats.map((c, k) => {
        const gtOf = imageIds.flatMap((img) => gts.get(key(img, c)) ?? []);
        return {
          categoryId: c,
          name: names.get(c) ?? String(c),
          ...summarize(acc, [k], iouThrs, labels, maxDets),
          numGt: gtOf.filter((g) => !g.iscrowd).length,
          numDt: imageIds.reduce((s, img) => s + (dts.get(key(img, c))?.length ?? 0), 0),
          pr: prCurves(acc, k, iouThrs, recThrs),
        };
      })
    : [];
  return {
    overall,
    stats: STAT_ORDER.map((s) => overall[s]),
    perClass,
    params: { iouThresholds: [...iouThrs], recallThresholds: [...recThrs], maxDets, useCats, imageIds, categoryIds, areaRanges },
  };
}
