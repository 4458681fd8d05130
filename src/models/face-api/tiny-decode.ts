/**
 * Pure post-processing of `tiny_face_detector.onnx`: face-api's TinyYolov2 box decoding and NMS. No I/O.
 */
import { iou } from '../../core/geometry';
import type { SsdFace } from './ssd-decode';

/** face-api's TinyFaceDetector anchors (width, height in grid cells). */
export const TINY_ANCHORS: ReadonlyArray<readonly [number, number]> = [
  [1.603231, 2.094468],
  [6.041143, 7.080126],
  [2.882459, 3.518061],
  [4.266906, 5.178857],
  [9.041765, 10.66308],
];

/** Options of {@link decodeTinyFaces}. */
export interface TinyDecodeOptions {
  /** Keep cells whose objectness is above this. @defaultValue 0.5 (face-api's default) */
  scoreThreshold?: number;
  /** Suppress a box overlapping a kept one by more than this IoU. @defaultValue 0.4 (face-api's value) */
  iouThreshold?: number;
  /** Image fraction = input fraction × scale (from `ssdLetterbox(w, h, size)`); default 1 (square input). */
  letterbox?: { scaleX: number; scaleY: number };
  /** Which image of the batch. @defaultValue 0 */
  batchIndex?: number;
}

function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}

/**
 * Faces from the `grid` output ([N, G, G, 25], NHWC) of one batch item, in fractions of the image
 * (`[x1, y1, x2, y2]`, clamped), best first, as face-api's `TinyFaceDetector.locateFaces` computes them.
 */
export function decodeTinyFaces(grid: Float32Array, cells: number, options: TinyDecodeOptions = {}): SsdFace[] {
  const nA = TINY_ANCHORS.length;
  const per = cells * cells * nA * 5;
  const b = options.batchIndex ?? 0;
  if (grid.length % per !== 0 || b < 0 || b >= grid.length / per) {
    throw new RangeError(`decodeTinyFaces: ${grid.length} values, ${cells}x${cells} grid, batch index ${b}`);
  }
  const base = b * per;
  const threshold = options.scoreThreshold ?? 0.5;
  const sx = options.letterbox?.scaleX ?? 1;
  const sy = options.letterbox?.scaleY ?? 1;
  const boxes: Array<[number, number, number, number]> = [];
  const scores: number[] = [];
  for (let row = 0; row < cells; row++) {
    for (let col = 0; col < cells; col++) {
      for (let a = 0; a < nA; a++) {
        const o = base + ((row * cells + col) * nA + a) * 5;
        const score = sigmoid(grid[o + 4]);
        if (!(score > threshold)) {
          continue;
        }
        const cx = ((col + sigmoid(grid[o])) / cells) * sx;
        const cy = ((row + sigmoid(grid[o + 1])) / cells) * sy;
        const w = ((Math.exp(grid[o + 2]) * TINY_ANCHORS[a][0]) / cells) * sx;
        const h = ((Math.exp(grid[o + 3]) * TINY_ANCHORS[a][1]) / cells) * sy;
        boxes.push([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]);
        scores.push(score);
      }
    }
  }
  const keep = nmsDescending(boxes, scores, options.iouThreshold ?? 0.4);
  const clamp01 = (v: number) => Math.min(1, Math.max(0, v));
  return keep.map((i) => ({ score: scores[i], box: boxes[i].map(clamp01) as [number, number, number, number] }));
}

/** face-api's `ops/nonMaxSuppression` (IoU mode): repeatedly take the best, drop those above the threshold. */
function nmsDescending(boxes: ReadonlyArray<readonly number[]>, scores: readonly number[], threshold: number): number[] {
  let order = scores.map((s, i) => ({ s, i })).sort((a, b) => a.s - b.s).map((c) => c.i);
  const pick: number[] = [];
  while (order.length > 0) {
    const cur = order.pop() as number;
    pick.push(cur);
    order = order.filter((j) => iou(boxes[cur], boxes[j]) <= threshold);
  }
  return pick;
}
