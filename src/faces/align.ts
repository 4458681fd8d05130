/**
 * Face alignment, pure. Two crops follow face-api's conventions:
 * - the landmark net's input: the face box padded to a centred square (zeros), resized to 112×112;
 * - the recogniser's input: face-api's "dlib" alignment box (square of side eye-to-mouth / 0.45 around the centre of
 *   the eyes and mouth, 0.5 / 0.43 of the side left of / above it), here also rotated so the eyes are level, resized
 *   to 150×150. Level eyes separate people much better than plain box crops (../shared/models/README.md).
 */
import { warpAffine, type Affine, type RgbImage } from './image';
import type { FaceBox } from './ultraface';

/** Side of the 68-landmark net input. */
export const LANDMARK_INPUT = 112;
/** Side of the recogniser input. */
export const RECOGNITION_INPUT = 150;

/** 68 points as [x0, y0, x1, y1, ...] in source pixels. */
export type Landmarks = Float32Array;

/** The square a landmark crop was sampled from: source = (x0 + u*side, y0 + v*side) for u, v in 0..1. */
export interface LandmarkSquare {
  x0: number;
  y0: number;
  side: number;
}

/** Square (centred on the box, side = its longer edge) of face-api's pad-to-square convention. */
export function landmarkSquare(box: FaceBox): LandmarkSquare {
  const w = box.x2 - box.x1;
  const h = box.y2 - box.y1;
  const side = Math.max(w, h);
  return { x0: (box.x1 + box.x2) / 2 - side / 2, y0: (box.y1 + box.y2) / 2 - side / 2, side };
}

/** The landmark net's 112×112 input for one face box (outside the box: black, as face-api pads). */
export function landmarkCrop(src: RgbImage, box: FaceBox, size = LANDMARK_INPUT): RgbImage {
  const sq = landmarkSquare(box);
  const k = sq.side / size;
  const m: Affine = [k, 0, sq.x0, 0, k, sq.y0];
  const valid = {
    x: (box.x1 - sq.x0) / k,
    y: (box.y1 - sq.y0) / k,
    width: (box.x2 - box.x1) / k,
    height: (box.y2 - box.y1) / k,
  };
  return warpAffine(src, m, size, size, { valid });
}

/** Converts the landmark net's 136 outputs (fractions of the padded square) into source pixels. */
export function landmarksFromOutput(out: ArrayLike<number>, offset: number, sq: LandmarkSquare): Landmarks {
  const pts = new Float32Array(136);
  for (let i = 0; i < 68; i++) {
    pts[i * 2] = sq.x0 + out[offset + i * 2]! * sq.side;
    pts[i * 2 + 1] = sq.y0 + out[offset + i * 2 + 1]! * sq.side;
  }
  return pts;
}

function centre(pts: Landmarks, from: number, to: number): [number, number] {
  let x = 0;
  let y = 0;
  for (let i = from; i < to; i++) {
    x += pts[i * 2]!;
    y += pts[i * 2 + 1]!;
  }
  return [x / (to - from), y / (to - from)];
}

/** Eye and mouth centres (image left eye = points 36-41, right = 42-47, mouth = 48-67). */
export function referencePoints(pts: Landmarks): { leftEye: [number, number]; rightEye: [number, number]; mouth: [number, number] } {
  return { leftEye: centre(pts, 36, 42), rightEye: centre(pts, 42, 48), mouth: centre(pts, 48, 68) };
}

/** Similarity transform of the aligned crop: its centre, side (source pixels) and eye-line angle (radians). */
export interface Alignment {
  cx: number;
  cy: number;
  side: number;
  angle: number;
}

/** face-api's dlib alignment constants. */
const REL_X = 0.5;
const REL_Y = 0.43;
const REL_SCALE = 0.45;

/** Computes the aligned crop (eyes level) from 68 landmarks. */
export function alignmentFromLandmarks(pts: Landmarks): Alignment {
  const { leftEye, rightEye, mouth } = referencePoints(pts);
  const angle = Math.atan2(rightEye[1] - leftEye[1], rightEye[0] - leftEye[0]);
  const dist = (p: [number, number]): number => Math.hypot(mouth[0] - p[0], mouth[1] - p[1]);
  const side = (dist(leftEye) + dist(rightEye)) / 2 / REL_SCALE;
  const cx = (leftEye[0] + rightEye[0] + mouth[0]) / 3;
  const cy = (leftEye[1] + rightEye[1] + mouth[1]) / 3;
  return { cx, cy, side, angle };
}

/**
 * Output→source affine of an aligned crop of `size` pixels: the crop's axes follow the eye line, the reference
 * centre sits at (0.5, 0.43) of the crop.
 */
export function alignmentAffine(al: Alignment, size = RECOGNITION_INPUT): Affine {
  const k = al.side / size;
  const cos = Math.cos(al.angle);
  const sin = Math.sin(al.angle);
  // level-frame point p = (u*k - REL_X*side, v*k - REL_Y*side); source = c + R(angle) p
  const px0 = -REL_X * al.side;
  const py0 = -REL_Y * al.side;
  return [
    cos * k,
    -sin * k,
    al.cx + cos * px0 - sin * py0,
    sin * k,
    cos * k,
    al.cy + sin * px0 + cos * py0,
  ];
}

/** The recogniser's 150×150 RGB input for one face (outside the image: black). */
export function alignedCrop(src: RgbImage, al: Alignment, size = RECOGNITION_INPUT): RgbImage {
  return warpAffine(src, alignmentAffine(al, size), size, size);
}
