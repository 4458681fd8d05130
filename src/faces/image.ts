/**
 * Pure pixel helpers for the face pipeline: affine resampling of rgb24 images and tensor packing.
 * No I/O: everything here works on plain buffers so it is tested without models or services.
 */

/** An rgb24 image: 3 bytes per pixel, row-major, no padding. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Axis-aligned rectangle in pixels. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Maps an output pixel centre (u, v) to a source point: `x = a*u + b*v + c`, `y = d*u + e*v + f`
 * (both in continuous pixel coordinates, pixel centres at +0.5).
 */
export type Affine = readonly [a: number, b: number, c: number, d: number, e: number, f: number];

/** Options of {@link warpAffine}. */
export interface WarpOptions {
  /**
   * Only output pixels inside this rectangle (output coordinates) are sampled; the rest are `fill`. Used for
   * "pad to square" conventions.
   */
  valid?: Rect;
  /** Value of pixels outside the source image or outside `valid`. @defaultValue 0 */
  fill?: number;
  /**
   * Samples per output pixel per axis (box-filtered), so strong downscales do not alias.
   * @defaultValue chosen from the affine's scale, 1..4
   */
  supersample?: number;
}

/**
 * Resamples `src` through an affine map into a new `outW`×`outH` rgb24 image (bilinear, optional supersampling).
 */
export function warpAffine(src: RgbImage, m: Affine, outW: number, outH: number, opts: WarpOptions = {}): RgbImage {
  const out = new Uint8Array(outW * outH * 3);
  const fill = opts.fill ?? 0;
  if (fill !== 0) {
    out.fill(fill);
  }
  const [a, b, c, d, e, f] = m;
  const scale = Math.max(Math.hypot(a, d), Math.hypot(b, e));
  const ss = opts.supersample ?? Math.max(1, Math.min(4, Math.ceil(scale - 0.25)));
  const valid = opts.valid ?? { x: 0, y: 0, width: outW, height: outH };
  const vx0 = Math.max(0, Math.floor(valid.x));
  const vy0 = Math.max(0, Math.floor(valid.y));
  const vx1 = Math.min(outW, Math.ceil(valid.x + valid.width));
  const vy1 = Math.min(outH, Math.ceil(valid.y + valid.height));
  const { width: sw, height: sh, data } = src;
  const inv = 1 / (ss * ss);
  const acc = [0, 0, 0];
  for (let v = vy0; v < vy1; v++) {
    for (let u = vx0; u < vx1; u++) {
      acc[0] = acc[1] = acc[2] = 0;
      for (let sy = 0; sy < ss; sy++) {
        const vv = v + (sy + 0.5) / ss;
        for (let sx = 0; sx < ss; sx++) {
          const uu = u + (sx + 0.5) / ss;
          // source continuous coords -> sample grid (pixel centres at integer + 0.5)
          const x = a * uu + b * vv + c - 0.5;
          const y = d * uu + e * vv + f - 0.5;
          if (x < -0.5 || y < -0.5 || x > sw - 0.5 || y > sh - 0.5) {
            acc[0] += fill;
            acc[1] += fill;
            acc[2] += fill;
            continue;
          }
          const xc = Math.min(Math.max(x, 0), sw - 1);
          const yc = Math.min(Math.max(y, 0), sh - 1);
          const x0 = Math.floor(xc);
          const y0 = Math.floor(yc);
          const x1 = Math.min(x0 + 1, sw - 1);
          const y1 = Math.min(y0 + 1, sh - 1);
          const fx = xc - x0;
          const fy = yc - y0;
          const i00 = (y0 * sw + x0) * 3;
          const i01 = (y0 * sw + x1) * 3;
          const i10 = (y1 * sw + x0) * 3;
          const i11 = (y1 * sw + x1) * 3;
          for (let ch = 0; ch < 3; ch++) {
            const top = data[i00 + ch]! + (data[i01 + ch]! - data[i00 + ch]!) * fx;
            const bot = data[i10 + ch]! + (data[i11 + ch]! - data[i10 + ch]!) * fx;
            acc[ch]! += top + (bot - top) * fy;
          }
        }
      }
      const o = (v * outW + u) * 3;
      out[o] = Math.round(acc[0]! * inv);
      out[o + 1] = Math.round(acc[1]! * inv);
      out[o + 2] = Math.round(acc[2]! * inv);
    }
  }
  return { width: outW, height: outH, data: out };
}

/**
 * Placement of a source rectangle inside a model input of `inW`×`inH`, keeping the aspect ratio and centring it
 * (the rest is padding). Converts between input and source pixel coordinates.
 */
export interface Letterbox {
  region: Rect;
  inW: number;
  inH: number;
  /** input pixels per source pixel */
  scale: number;
  padX: number;
  padY: number;
}

/** Computes a centred letterbox of `region` into `inW`×`inH`. */
export function letterbox(region: Rect, inW: number, inH: number): Letterbox {
  const scale = Math.min(inW / region.width, inH / region.height);
  const padX = (inW - region.width * scale) / 2;
  const padY = (inH - region.height * scale) / 2;
  return { region, inW, inH, scale, padX, padY };
}

/** The affine (output→source) of a letterbox. */
export function letterboxAffine(lb: Letterbox): Affine {
  const s = 1 / lb.scale;
  return [s, 0, lb.region.x - lb.padX * s, 0, s, lb.region.y - lb.padY * s];
}

/** Maps a point of the model input (pixels) back to the source image (pixels). */
export function fromLetterbox(lb: Letterbox, x: number, y: number): [number, number] {
  return [lb.region.x + (x - lb.padX) / lb.scale, lb.region.y + (y - lb.padY) / lb.scale];
}

/** Samples `region` of `src` into a letterboxed `inW`×`inH` image (padding = `fill`). */
export function letterboxImage(src: RgbImage, lb: Letterbox, fill = 0): RgbImage {
  const valid = { x: lb.padX, y: lb.padY, width: lb.region.width * lb.scale, height: lb.region.height * lb.scale };
  return warpAffine(src, letterboxAffine(lb), lb.inW, lb.inH, { valid, fill });
}

/** Tensor layouts models take. */
export type Layout = 'nchw' | 'nhwc';

/**
 * Writes an rgb24 image into slot `index` of a float batch tensor as `(v - mean[c]) * scale` (`std` folded into
 * `scale`). The image must already be the model's input size.
 */
export function packTensor(
  img: RgbImage,
  out: Float32Array,
  index: number,
  layout: Layout,
  mean: readonly [number, number, number],
  scale: number,
): void {
  const n = img.width * img.height;
  const base = index * n * 3;
  const d = img.data;
  if (layout === 'nhwc') {
    for (let i = 0; i < n * 3; i += 3) {
      out[base + i] = (d[i]! - mean[0]) * scale;
      out[base + i + 1] = (d[i + 1]! - mean[1]) * scale;
      out[base + i + 2] = (d[i + 2]! - mean[2]) * scale;
    }
    return;
  }
  for (let i = 0, p = 0; p < n; p++, i += 3) {
    out[base + p] = (d[i]! - mean[0]) * scale;
    out[base + n + p] = (d[i + 1]! - mean[1]) * scale;
    out[base + 2 * n + p] = (d[i + 2]! - mean[2]) * scale;
  }
}

/** Intersection over union of two [x1, y1, x2, y2] boxes. */
export function iou(a: readonly number[], b: readonly number[]): number {
  const ix = Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!));
  const iy = Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!));
  const inter = ix * iy;
  const ua = (a[2]! - a[0]!) * (a[3]! - a[1]!) + (b[2]! - b[0]!) * (b[3]! - b[1]!) - inter;
  return ua <= 0 ? 0 : inter / ua;
}
