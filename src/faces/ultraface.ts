/**
 * UltraFace (Ultra-Light-Fast-Generic-Face-Detector, RFB) decoding: pure, no onnxruntime import.
 *
 * The ONNX exports take `input` [1,3,H,W] RGB normalised as (x-127)/128 and give `scores` [1,N,2] (softmax done,
 * column 1 = face) and `boxes` [1,N,4] (already decoded x1,y1,x2,y2, normalised to the input). Only NMS is left.
 */
import { iou } from '../core/geometry';
import { fromLetterbox, type Letterbox } from './image';

/** A detected face in source pixels. */
export interface FaceBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
}

/** UltraFace input normalisation: (x - 127) / 128 on RGB. */
export const ULTRAFACE_MEAN: readonly [number, number, number] = [127, 127, 127];
/** UltraFace input scale (1/128). */
export const ULTRAFACE_SCALE = 1 / 128;

/** Options of {@link decodeUltraFace}. */
export interface UltraFaceDecodeOptions {
  /** Minimum face probability. @defaultValue 0.7 */
  minScore?: number;
  /** NMS IoU threshold. @defaultValue 0.3 */
  iou?: number;
  /** Keep at most this many faces. @defaultValue 200 */
  maxFaces?: number;
}

/**
 * Decodes UltraFace outputs into faces in source pixels, given the letterbox the input was made with.
 * @param scores - `scores` output data ([N,2])
 * @param boxes - `boxes` output data ([N,4], normalised to the input)
 */
export function decodeUltraFace(
  scores: Float32Array,
  boxes: Float32Array,
  lb: Letterbox,
  opts: UltraFaceDecodeOptions = {},
): FaceBox[] {
  const minScore = opts.minScore ?? 0.7;
  const n = Math.min(scores.length / 2, boxes.length / 4);
  const cands: FaceBox[] = [];
  for (let i = 0; i < n; i++) {
    const s = scores[i * 2 + 1]!;
    if (s < minScore) {
      continue;
    }
    const [x1, y1] = fromLetterbox(lb, boxes[i * 4]! * lb.inW, boxes[i * 4 + 1]! * lb.inH);
    const [x2, y2] = fromLetterbox(lb, boxes[i * 4 + 2]! * lb.inW, boxes[i * 4 + 3]! * lb.inH);
    const r = lb.region;
    const box = {
      x1: Math.max(r.x, x1),
      y1: Math.max(r.y, y1),
      x2: Math.min(r.x + r.width, x2),
      y2: Math.min(r.y + r.height, y2),
      score: s,
    };
    if (box.x2 > box.x1 && box.y2 > box.y1) {
      cands.push(box);
    }
  }
  return nmsFaces(cands, opts.iou ?? 0.3, opts.maxFaces ?? 200);
}

/** Greedy non-maximum suppression, highest score first. */
export function nmsFaces(faces: readonly FaceBox[], iouThreshold: number, maxFaces = Infinity): FaceBox[] {
  const sorted = [...faces].sort((a, b) => b.score - a.score);
  const keep: FaceBox[] = [];
  for (const f of sorted) {
    if (keep.length >= maxFaces) {
      break;
    }
    const fb = [f.x1, f.y1, f.x2, f.y2];
    if (keep.every((k) => iou([k.x1, k.y1, k.x2, k.y2], fb) <= iouThreshold)) {
      keep.push(f);
    }
  }
  return keep;
}
