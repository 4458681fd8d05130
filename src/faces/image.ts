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
   * @defaultValue ceil(scale / 2), 1..4
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
  // each bilinear sample already averages a 2-pixel footprint, so one sample per 2 source pixels is enough
  const ss = opts.supersample ?? Math.max(1, Math.min(4, Math.ceil(scale / 2 - 0.05)));
  const valid = opts.valid ?? { x: 0, y: 0, width: outW, height: outH };
  const vx0 = Math.max(0, Math.floor(valid.x));
  const vy0 = Math.max(0, Math.floor(valid.y));
  const vx1 = Math.min(outW, Math.ceil(valid.x + valid.width));
  const vy1 = Math.min(outH, Math.ceil(valid.y + valid.height));
  const { width: sw, height: sh, data } = src;
  const inv = 1 / (ss * ss);
  const maxX = sw - 1;
  const maxY = sh - 1;
  for (let v = vy0; v < vy1; v++) {
    for (let u = vx0; u < vx1; u++) {
      let r = 0;
      let g = 0;
      let bl = 0;
      for (let sy = 0; sy < ss; sy++) {
        const vv = v + (sy + 0.5) / ss;
        // source continuous coords -> sample grid (pixel centres at integer + 0.5)
        const rowX = b * vv + c - 0.5;
        const rowY = e * vv + f - 0.5;
        for (let sx = 0; sx < ss; sx++) {
          const uu = u + (sx + 0.5) / ss;
          let x = a * uu + rowX;
          let y = d * uu + rowY;
          if (x < -0.5 || y < -0.5 || x > sw - 0.5 || y > sh - 0.5) {
            r += fill;
            g += fill;
            bl += fill;
            continue;
          }
          x = x < 0 ? 0 : x > maxX ? maxX : x;
          y = y < 0 ? 0 : y > maxY ? maxY : y;
          const x0 = x | 0;
          const y0 = y | 0;
          const fx = x - x0;
          const fy = y - y0;
          const dx = x0 < maxX ? 3 : 0;
          const dy = y0 < maxY ? sw * 3 : 0;
          const i00 = (y0 * sw + x0) * 3;
          const i10 = i00 + dy;
          const w00 = (1 - fx) * (1 - fy);
          const w01 = fx * (1 - fy);
          const w10 = (1 - fx) * fy;
          const w11 = fx * fy;
          r += data[i00]! * w00 + data[i00 + dx]! * w01 + data[i10]! * w10 + data[i10 + dx]! * w11;
          g += data[i00 + 1]! * w00 + data[i00 + dx + 1]! * w01 + data[i10 + 1]! * w10 + data[i10 + dx + 1]! * w11;
          bl += data[i00 + 2]! * w00 + data[i00 + dx + 2]! * w01 + data[i10 + 2]! * w10 + data[i10 + dx + 2]! * w11;
        }
      }
      const o = (v * outW + u) * 3;
      out[o] = Math.round(r * inv);
      out[o + 1] = Math.round(g * inv);
      out[o + 2] = Math.round(bl * inv);
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

