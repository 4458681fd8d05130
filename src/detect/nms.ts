/**
 * Pure box post-processing: class-wise non-maximum suppression. Boxes are `[x1, y1, x2, y2]` in any consistent
 * unit.
 */
import { iouOf } from '../core/geometry';

/** A scored candidate box before labels are attached. */
export interface Candidate {
  classId: number;
  score: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/**
 * Class-wise NMS: within each class, keeps the highest-scoring box and drops every other box overlapping a kept
 * one by more than `iouThreshold`. Boxes of different classes never suppress each other. Returns the kept boxes
 * sorted by score, highest first, at most `maxDetections`.
 */
export function nms(candidates: readonly Candidate[], iouThreshold: number, maxDetections = 300): Candidate[] {
  const sorted = [...candidates].sort((a, b) => b.score - a.score);
  const kept: Candidate[] = [];
  const byClass = new Map<number, Candidate[]>();
  for (const c of sorted) {
    let list = byClass.get(c.classId);
    if (!list) {
      list = [];
      byClass.set(c.classId, list);
    }
    let suppressed = false;
    for (const k of list) {
      if (iouOf(c.x1, c.y1, c.x2, c.y2, k.x1, k.y1, k.x2, k.y2) > iouThreshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) {
      list.push(c);
      kept.push(c);
      if (kept.length >= maxDetections) {
        break;
      }
    }
  }
  return kept;
}
