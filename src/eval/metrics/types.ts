/**
 * Types of the accuracy metrics (`vigil eval`): COCO box detection (pycocotools' COCOeval) and MOTChallenge
 * tracking (CLEAR MOT, identity metrics, HOTA as TrackEval computes them). Pure data: no stage, no service.
 *
 * Boxes are in pixels as the label formats write them: `[x, y, w, h]` with (x, y) the top-left corner.
 */

/** `[x, y, width, height]` in pixels, (x, y) the top-left corner (COCO and MOTChallenge convention). */
export type XywhBox = [number, number, number, number];

// ---------------------------------------------------------------------------------------------------------------
// COCO detection

/** One image of a COCO ground truth, with the video frame it stands for. */
export interface CocoImage {
  id: number;
  /** Video frame number (see docs/eval.md for how it is taken from the file). */
  frame: number;
  fileName?: string;
  width?: number;
  height?: number;
}

/** One category of a COCO ground truth. */
export interface CocoCategory {
  id: number;
  name: string;
}

/** One ground-truth box. `area` is the annotation's area field (segment area in COCO; box area when absent). */
export interface CocoGtBox {
  id: number;
  imageId: number;
  categoryId: number;
  bbox: XywhBox;
  area: number;
  /**
   * A crowd region: matched by any number of detections (overlap = intersection / detection area), never counted
   * as a miss, and the detections it matches are neither true nor false positives. (COCO's `ignore` field has no
   * effect in pycocotools' bbox evaluation, which overwrites it with iscrowd; the reader drops it.)
   */
  iscrowd: boolean;
}

/** One detection (an entry of a COCO results list). */
export interface CocoDtBox {
  imageId: number;
  categoryId: number;
  bbox: XywhBox;
  score: number;
  /** Assigned by the reader (1-based, in file order) when the file has none. */
  id?: number;
  /** Box area when absent (as pycocotools' loadRes does for bbox results). */
  area?: number;
}

/** A COCO ground truth as read by src/eval/formats/coco.ts. */
export interface CocoGroundTruth {
  images: CocoImage[];
  categories: CocoCategory[];
  annotations: CocoGtBox[];
}

/** An area range of COCOeval: label and [min, max] area (inclusive). */
export interface AreaRange {
  label: 'all' | 'small' | 'medium' | 'large' | string;
  range: [number, number];
}

/** Options of {@link evaluateCoco}; the defaults are pycocotools' bbox defaults. */
export interface CocoEvalOptions {
  /** IoU thresholds; default 0.50:0.05:0.95. */
  iouThresholds?: number[];
  /** Recall points of the interpolated precision; default 0:0.01:1 (101 points). */
  recallThresholds?: number[];
  /** Max detections per image, ascending; default [1, 10, 100]. */
  maxDets?: [number, number, number];
  /** Evaluate these image ids only (default: all images of the ground truth). */
  imageIds?: number[];
  /** Evaluate these category ids only (default: all categories of the ground truth). */
  categoryIds?: number[];
  /** When false, categories are pooled into one (COCOeval's useCats = 0). Default true. */
  useCats?: boolean;
}

/** The 12 numbers COCOeval.summarize() prints, -1 where undefined (no ground truth in the range). */
export interface CocoStats {
  ap: number;
  ap50: number;
  ap75: number;
  apSmall: number;
  apMedium: number;
  apLarge: number;
  ar1: number;
  ar10: number;
  ar100: number;
  arSmall: number;
  arMedium: number;
  arLarge: number;
}

/** A precision-recall curve at one IoU threshold (area all, largest maxDets), for charts. */
export interface PrCurve {
  iouThreshold: number;
  /** The recall points (101 by default). */
  recall: number[];
  /** Interpolated precision at each recall point; -1 where the class has no ground truth, 0 past the max recall. */
  precision: number[];
  /** Score of the detection that reaches each recall point (0 past the max recall). */
  scores: number[];
}

/** Results of one category. */
export interface CocoClassResult extends CocoStats {
  categoryId: number;
  name: string;
  /** Ground-truth boxes of the class that count (not crowd, not ignored), area all. */
  numGt: number;
  numDt: number;
  /** PR curves at IoU 0.50 and 0.75 and the curve averaged over all IoU thresholds (iouThreshold NaN). */
  pr: PrCurve[];
}

/** Result of {@link evaluateCoco}. */
export interface CocoEvalResult {
  overall: CocoStats;
  /** `overall` in COCOeval.stats order. */
  stats: number[];
  perClass: CocoClassResult[];
  /** The parameters used (defaults filled in). */
  params: Required<Omit<CocoEvalOptions, 'imageIds' | 'categoryIds'>> & {
    imageIds: number[];
    categoryIds: number[];
    areaRanges: AreaRange[];
  };
}

// ---------------------------------------------------------------------------------------------------------------
// MOTChallenge tracking

/** One row of a MOTChallenge gt.txt: frame, id, box, mark (0 = ignore), class, visibility. */
export interface MotGtRow {
  frame: number;
  id: number;
  bbox: XywhBox;
  /** The 7th column: 1 = evaluate, 0 = ignore (MOT16/17/20). MOT15 files hold -1 or 1 here. */
  mark: number;
  /** MOT16+ class (1 pedestrian, ...); -1 when the file has no class column (MOT15). */
  cls: number;
  visibility: number;
}

/** One row of a tracker output file: frame, id, box, confidence. */
export interface MotTrackRow {
  frame: number;
  id: number;
  bbox: XywhBox;
  conf: number;
}

/** Options of {@link evaluateMot}; defaults are MOTChallenge's MOT17 conventions as in TrackEval. */
export interface MotEvalOptions {
  /** IoU at or above which a pair may match for CLEAR and identity metrics. Default 0.5. */
  iouThreshold?: number;
  /**
   * Ground-truth preprocessing, as TrackEval's MOTChallenge reader. 'mot17': tracker boxes matched one-to-one
   * (IoU ≥ 0.5, maximum total IoU) to gt boxes of `distractorClasses` are removed (ignore regions), then only gt
   * of `evalClasses` is kept. 'mot20': the same with non-MOT vehicles (class 6) also a distractor. 'none': no class
   * handling (MOT15-style files without classes). 'auto' (default): 'none' when no gt row has a class (all -1,
   * as MOT15 files), else 'mot17'. In every mode zero-marked gt rows (7th column 0) are dropped.
   */
  preprocess?: 'auto' | 'mot17' | 'mot20' | 'none';
  /** Classes evaluated. Default [1] (pedestrian). */
  evalClasses?: number[];
  /** Distractor classes (ignore regions). Default [2, 7, 8, 12] (person on vehicle, static person, distractor, reflection), plus 6 with 'mot20'. */
  distractorClasses?: number[];
  /** Number of frames of the sequence (default: the last frame in either input). */
  numFrames?: number;
}

/** HOTA and its parts at each alpha (IoU threshold) 0.05:0.05:0.95. */
export interface HotaCurve {
  alpha: number[];
  hota: number[];
  deta: number[];
  assa: number[];
  loca: number[];
  detre: number[];
  detpr: number[];
  assre: number[];
  asspr: number[];
  /** Per alpha: true positives, misses, false positives (to combine sequences). */
  tp: number[];
  fn: number[];
  fp: number[];
}

/** Result of {@link evaluateMot}. Ratios are in [0, 1] (not percent); counts are integers. */
export interface MotEvalResult {
  // CLEAR MOT
  mota: number;
  motp: number;
  moda: number;
  /** Detection recall / precision at `iouThreshold` (CLEAR matching). */
  recall: number;
  precision: number;
  tp: number;
  fp: number;
  fn: number;
  idsw: number;
  frag: number;
  /** Mostly tracked (≥ 80 % of its frames), partly tracked, mostly lost (< 20 %): counts of gt ids. */
  mt: number;
  pt: number;
  ml: number;
  // Identity
  idf1: number;
  idp: number;
  idr: number;
  idtp: number;
  idfp: number;
  idfn: number;
  // HOTA (averaged over alpha)
  hota: number;
  deta: number;
  assa: number;
  loca: number;
  detre: number;
  detpr: number;
  assre: number;
  asspr: number;
  /** HOTA at alpha 0 (0.05) — HOTA(0) in TrackEval — and LocA(0). */
  hota0: number;
  loca0: number;
  hotaCurve: HotaCurve;
  /** Sum of the IoU of the CLEAR matches (MOTP x TP), to combine sequences. */
  motpSum: number;
  // Counts
  numFrames: number;
  numGtDets: number;
  numTrackerDets: number;
  numGtIds: number;
  numTrackerIds: number;
  /** Tracker boxes removed because they matched an ignore region (distractor or zero-marked gt). */
  numTrackerRemoved: number;
}
