/** Test helper: square RGB crops of real faces from `$VIGIL_TEST_MEDIA/faces`. */
import { join } from 'node:path';
import sharp from 'sharp';
import { ssdLetterbox, type SsdLetterbox } from '../../src/models/face-api/ssd-decode';

/** Media folder of the real test photos. */
export const MEDIA = process.env.VIGIL_TEST_MEDIA ?? '/work/shared/media';

/**
 * Face boxes [x, y, w, h] in fractions of the photo, found with face-api's own SsdMobilenetv1 (minConfidence 0.5)
 * when the tests were written; only used to cut realistic crops.
 */
export const FACE_BOXES: Record<string, [number, number, number, number]> = {
  'obama.jpg': [0.411, 0.096, 0.25, 0.272],
  'biden.jpg': [0.455, 0.07, 0.27, 0.179],
  'alex-lacamoire.png': [0.371, 0.33, 0.393, 0.448],
  'rose-leslie1.jpg': [0.489, 0.093, 0.181, 0.379],
};

/**
 * A square crop around the face box of `file` (side = the box's longer side × `margin`, clamped to the photo),
 * resized to `size`×`size`, as float32 NHWC RGB 0..255.
 */
export async function faceCrop(file: string, size: number, margin = 1.1): Promise<Float32Array> {
  const img = sharp(join(MEDIA, 'faces', file)).removeAlpha();
  const meta = await img.metadata();
  const W = meta.width ?? 0;
  const H = meta.height ?? 0;
  const [bx, by, bw, bh] = FACE_BOXES[file];
  const side = Math.min(Math.round(Math.max(bw * W, bh * H) * margin), W, H);
  const cx = (bx + bw / 2) * W;
  const cy = (by + bh / 2) * H;
  const left = Math.max(0, Math.min(W - side, Math.round(cx - side / 2)));
  const top = Math.max(0, Math.min(H - side, Math.round(cy - side / 2)));
  const raw = await img.extract({ left, top, width: side, height: side }).resize(size, size).raw().toBuffer();
  return Float32Array.from(raw);
}

/** Several crops stacked into one [N, size, size, 3] buffer. */
export function stack(crops: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(crops.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of crops) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** Largest absolute difference between two arrays of the same length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new RangeError(`lengths differ: ${a.length} vs ${b.length}`);
  }
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs(a[i] - b[i]));
  }
  return m;
}

/**
 * A whole photo placed as face-api places it in the SSD input: scaled so the longer side is `size`, at the
 * top-left, zero padded. Float32 NHWC RGB 0..255.
 */
export async function letterboxed(file: string, size: number): Promise<{ pixels: Float32Array; letterbox: SsdLetterbox }> {
  const img = sharp(join(MEDIA, 'faces', file)).removeAlpha();
  const meta = await img.metadata();
  const letterbox = ssdLetterbox(meta.width ?? 0, meta.height ?? 0, size);
  const raw = await img
    .resize(letterbox.width, letterbox.height, { fit: 'fill' })
    .extend({ right: size - letterbox.width, bottom: size - letterbox.height, background: { r: 0, g: 0, b: 0 } })
    .raw()
    .toBuffer();
  return { pixels: Float32Array.from(raw), letterbox };
}
