/**
 * Pure post-processing of `ssd_mobilenetv1.onnx`: face-api's non-maximum suppression and the mapping of boxes
 * from the 512×512 network input back to the image. No I/O.
 */
import { iouOf } from '../../core/geometry';

/** Anchors of face-api's SsdMobilenetv1 at 512×512 (3·32² + 6·(16² + 8² + 4² + 2² + 1²)). */
export const SSD_ANCHORS = 5118;

/** One detected face. */
export interface SsdFace {
  /** Face probability 0..1. */
  score: number;
  /** [x1, y1, x2, y2] in fractions of the original image (clamped to 0..1). */
  box: [number, number, number, number];
}

/** How an image is placed in the square network input (face-api's `toBatchTensor(512, false)`). */
export interface SsdLetterbox {
  /** Side of the square input. */
  size: number;
  /** Width and height the image is resized to; it sits at the top-left, the rest is zero (black). */
  width: number;
  height: number;
  /** Image fraction = input fraction × scaleX (resp. scaleY). */
  scaleX: number;
  scaleY: number;
}

/**
 * The placement of a `imageWidth`×`imageHeight` image in the `size`×`size` input: scaled so its longer side is
 * `size`, at the top-left, zero padded right or below.
 */
export function ssdLetterbox(imageWidth: number, imageHeight: number, size = 512): SsdLetterbox {
  if (!(imageWidth > 0 && imageHeight > 0)) {
    throw new RangeError(`ssdLetterbox: bad image size ${imageWidth}x${imageHeight}`);
  }
  const ratio = size / Math.max(imageWidth, imageHeight);
  const width = Math.max(1, Math.round(imageWidth * ratio));
  const height = Math.max(1, Math.round(imageHeight * ratio));
  return { size, width, height, scaleX: size / width, scaleY: size / height };
}

/** Options of {@link decodeSsdFaces}. */
export interface SsdDecodeOptions {
  /** Keep faces scoring above this. @defaultValue 0.5 (face-api's default) */
  minConfidence?: number;
  /** At most this many faces. @defaultValue 100 */
  maxResults?: number;
  /** Suppress a box overlapping a kept one by more than this IoU. @defaultValue 0.5 (face-api's value) */
  iouThreshold?: number;
  /** Placement of the image in the input; default: the input is the image (square, no padding). */
  letterbox?: Pick<SsdLetterbox, 'scaleX' | 'scaleY'>;
  /** Anchors per image. @defaultValue 5118 */
  anchors?: number;
  /** Which image of the batch. @defaultValue 0 */
  batchIndex?: number;
}

/** IoU of anchors i and j of `boxes` ([A, 4] ymin, xmin, ymax, xmax; corners in either order, as face-api allows). */
function anchorIou(b: ArrayLike<number>, i: number, j: number): number {
  const yi = 4 * i;
  const xi = yi + 1;
  const yj = 4 * j;
  const xj = yj + 1;
  return iouOf(
    Math.min(b[xi], b[xi + 2]),
    Math.min(b[yi], b[yi + 2]),
    Math.max(b[xi], b[xi + 2]),
    Math.max(b[yi], b[yi + 2]),
    Math.min(b[xj], b[xj + 2]),
    Math.min(b[yj], b[yj + 2]),
    Math.max(b[xj], b[xj + 2]),
    Math.max(b[yj], b[yj + 2]),
  );
}

/**
 * face-api's greedy NMS over one image's `boxes` ([A, 4] ymin, xmin, ymax, xmax) and `scores` ([A]): candidates
 * above `scoreThreshold`, best first; a candidate overlapping a kept box by more than `iouThreshold` is dropped.
 * Returns the kept anchor indices, best first.
 */
export function ssdNonMaxSuppression(
  boxes: ArrayLike<number>,
  scores: ArrayLike<number>,
  maxResults: number,
  iouThreshold: number,
  scoreThreshold: number,
): number[] {
  const candidates: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    if (scores[i] > scoreThreshold) {
      candidates.push(i);
    }
  }
  candidates.sort((a, b) => scores[b] - scores[a]);
  const limit = Math.min(maxResults, scores.length);
  const selected: number[] = [];
  for (const c of candidates) {
    if (selected.length >= limit) {
      break;
    }
    let keep = true;
    for (let j = selected.length - 1; j >= 0; j--) {
      if (anchorIou(boxes, c, selected[j]) > iouThreshold) {
        keep = false;
        break;
      }
    }
    if (keep) {
      selected.push(c);
    }
  }
  return selected;
}

/**
 * Faces from the SSD outputs of one batch item: NMS, then boxes clamped to the input and mapped to image
 * fractions (undoing the letterbox), as face-api's `locateFaces` does; boxes reaching into the padding are also
 * clamped to the image.
 * @param boxes the `boxes` output, [N, A, 4]
 * @param scores the `scores` output, [N, A]
 */
export function decodeSsdFaces(boxes: Float32Array, scores: Float32Array, options: SsdDecodeOptions = {}): SsdFace[] {
  const n = options.anchors ?? SSD_ANCHORS;
  const batches = scores.length / n;
  const b = options.batchIndex ?? 0;
  if (boxes.length !== 4 * scores.length || !Number.isInteger(batches)) {
    throw new RangeError(`decodeSsdFaces: ${boxes.length} box values and ${scores.length} scores do not fit ${n} anchors`);
  }
  if (b < 0 || b >= batches) {
    throw new RangeError(`decodeSsdFaces: batch index ${b} outside ${batches} images`);
  }
  const bx = boxes.subarray(b * n * 4, (b + 1) * n * 4);
  const sc = scores.subarray(b * n, (b + 1) * n);
  const keep = ssdNonMaxSuppression(bx, sc, options.maxResults ?? 100, options.iouThreshold ?? 0.5, options.minConfidence ?? 0.5);
  const sx = options.letterbox?.scaleX ?? 1;
  const sy = options.letterbox?.scaleY ?? 1;
  const clamp01 = (v: number) => Math.min(1, Math.max(0, v));
  return keep.map((i) => {
    const top = Math.max(0, bx[4 * i]) * sy;
    const left = Math.max(0, bx[4 * i + 1]) * sx;
    const bottom = Math.min(1, bx[4 * i + 2]) * sy;
    const right = Math.min(1, bx[4 * i + 3]) * sx;
    return { score: sc[i], box: [clamp01(left), clamp01(top), clamp01(right), clamp01(bottom)] };
  });
}
