/**
 * COCO box evaluation as pycocotools' COCOeval (iouType 'bbox') computes it: evaluate, accumulate, summarize.
 */
import type { CocoDtBox, CocoEvalOptions, CocoEvalResult, CocoGroundTruth } from './types';

/** Evaluates detections against a COCO ground truth: per-class and overall AP/AR (the 12 COCO stats) and PR curves. */
export function evaluateCoco(gt: CocoGroundTruth, dt: readonly CocoDtBox[], opts: CocoEvalOptions = {}): CocoEvalResult {
  void gt;
  void dt;
  void opts;
  throw new Error('evaluateCoco: not implemented');
}
