/**
 * Pure box post-processing: class-wise non-maximum suppression and intersection over union. Boxes are
 * `[x1, y1, x2, y2]` in any consistent unit.
 */

/** A scored candidate box before labels are attached. */
export interface Candidate {
  classId: number;
  score: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** Intersection over union of two candidates (0 when either has no area). */
export function iou(a: Candidate, b: Candidate): number {
  const iw = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  if (iw <= 0) {
    return 0;
  }
  const ih = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (ih <= 0) {
    return 0;
  }
  const inter = iw * ih;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union > 0 ? inter / union : 0;
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
      if (iou(c, k) > iouThreshold) {
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
