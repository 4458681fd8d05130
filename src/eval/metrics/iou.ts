/**
 * Box overlap as the reference evaluators compute it, on `[x, y, w, h]` pixel boxes (no +1 on widths).
 */
import { matrix, type Matrix } from './assignment';
import type { XywhBox } from './types';

const EPS = Number.EPSILON;

/**
 * IoU of every gt box (rows) with every tracker box (columns), as TrackEval's box IoU: boxes of zero area and
 * pairs with no union give 0.
 */
export function iouMatrix(gt: readonly XywhBox[], tracker: readonly XywhBox[]): Matrix {
  const m = matrix(gt.length, tracker.length);
  for (let i = 0; i < gt.length; i++) {
    const [gx, gy, gw, gh] = gt[i];
    const ga = gw * gh;
    for (let j = 0; j < tracker.length; j++) {
      const [tx, ty, tw, th] = tracker[j];
      const ta = tw * th;
      const iw = Math.max(Math.min(gx + gw, tx + tw) - Math.max(gx, tx), 0);
      const ih = Math.max(Math.min(gy + gh, ty + th) - Math.max(gy, ty), 0);
      let inter = iw * ih;
      let union = ga + ta - inter;
      if (ga <= EPS || ta <= EPS || union <= EPS) {
        inter = 0;
      }
      if (union <= EPS) {
        union = 1;
      }
      m.data[i * m.cols + j] = inter / union;
    }
  }
  return m;
}

/**
 * pycocotools' bbox IoU of every detection (rows) with every gt box (columns): for a crowd gt box the overlap is
 * the intersection over the detection's area.
 */
export function cocoIouMatrix(dt: readonly XywhBox[], gt: readonly XywhBox[], crowd: readonly boolean[]): Matrix {
  const m = matrix(dt.length, gt.length);
  for (let g = 0; g < gt.length; g++) {
    const [gx, gy, gw, gh] = gt[g];
    const ga = gw * gh;
    for (let d = 0; d < dt.length; d++) {
      const [dx, dy, dw, dh] = dt[d];
      const w = Math.min(dw + dx, gw + gx) - Math.max(dx, gx);
      if (w <= 0) {
        continue;
      }
      const h = Math.min(dh + dy, gh + gy) - Math.max(dy, gy);
      if (h <= 0) {
        continue;
      }
      const da = dw * dh;
      const inter = w * h;
      m.data[d * m.cols + g] = inter / (crowd[g] ? da : da + ga - inter);
    }
  }
  return m;
}
