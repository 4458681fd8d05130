/**
 * Face quality, pure: how useful a face is for recognition, from its size, how frontal it is (landmarks) and how
 * sharp the aligned crop is (variance of the Laplacian). Used to embed a track's best faces rather than every frame.
 */
import type { RgbImage } from './image';
import { referencePoints, type Landmarks } from './align';

/** Parts of a quality score, each 0..1, and their product. */
export interface FaceQuality {
  size: number;
  frontal: number;
  sharp: number;
  score: number;
}

/** Options of {@link faceQuality}. */
export interface QualityOptions {
  /** Face side (pixels) at which size stops mattering. @defaultValue 80 */
  goodSize?: number;
  /** Laplacian variance at which sharpness stops mattering. @defaultValue 150 */
  goodSharpness?: number;
}

/**
 * Frontality 0..1 from landmarks: the nose tip (point 30) should sit midway between the eyes (yaw) and the eyes
 * should be about as far from the nose as from each other's level (roll is removed by alignment, so not counted).
 */
export function frontality(pts: Landmarks): number {
  const { leftEye, rightEye, mouth } = referencePoints(pts);
  const nx = pts[60]!;
  const ny = pts[61]!;
  const ex = rightEye[0] - leftEye[0];
  const ey = rightEye[1] - leftEye[1];
  const eyeDist = Math.hypot(ex, ey);
  if (eyeDist < 1e-6) {
    return 0;
  }
  // position of the nose along the eye line: 0.5 when frontal
  const t = ((nx - leftEye[0]) * ex + (ny - leftEye[1]) * ey) / (eyeDist * eyeDist);
  const yaw = Math.min(1, Math.abs(t - 0.5) * 2);
  // eye-to-mouth vs eye distance: strongly pitched faces compress one of them
  const midX = (leftEye[0] + rightEye[0]) / 2;
  const midY = (leftEye[1] + rightEye[1]) / 2;
  const ratio = Math.hypot(mouth[0] - midX, mouth[1] - midY) / eyeDist;
  const pitch = Math.min(1, Math.abs(ratio - 1.1) / 1.1);
  return Math.max(0, (1 - yaw) * (1 - 0.5 * pitch));
}

/** Variance of the 4-neighbour Laplacian of the grey image (higher = sharper). */
export function laplacianVariance(img: RgbImage): number {
  const { width: w, height: h, data } = img;
  if (w < 3 || h < 3) {
    return 0;
  }
  const grey = new Float32Array(w * h);
  for (let i = 0, p = 0; p < w * h; p++, i += 3) {
    grey[p] = 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
  }
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const p = y * w + x;
      const l = grey[p - 1]! + grey[p + 1]! + grey[p - w]! + grey[p + w]! - 4 * grey[p]!;
      sum += l;
      sumSq += l * l;
      n++;
    }
  }
  const mean = sum / n;
  return sumSq / n - mean * mean;
}

/**
 * Quality of one face.
 * @param faceSide - face box side in source pixels (min of width and height)
 * @param pts - its 68 landmarks
 * @param crop - its aligned crop
 */
export function faceQuality(faceSide: number, pts: Landmarks, crop: RgbImage, opts: QualityOptions = {}): FaceQuality {
  const size = Math.min(1, faceSide / (opts.goodSize ?? 80));
  const frontal = frontality(pts);
  const sharp = Math.min(1, laplacianVariance(crop) / (opts.goodSharpness ?? 150));
  return { size, frontal, sharp, score: size * frontal * sharp };
}
