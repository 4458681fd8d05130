/**
 * Pure image preprocessing for the detector families: letterbox or plain resize of an rgb24 frame straight into
 * a planar (NCHW) Float32Array, with channel order and scaling applied in the same pass. No sharp round trip, one
 * write per output value. Pixel centres are aligned like OpenCV's INTER_LINEAR (`src = (dst + 0.5) / r - 0.5`).
 */
import type { Box } from '../core/types';

/** How a family wants its input tensor built. */
export interface PreprocessSpec {
  /** Network input width in pixels. */
  width: number;
  /** Network input height in pixels. */
  height: number;
  /** `letterbox`: keep the aspect ratio, image at the top-left, the rest filled; `resize`: stretch to fit. */
  mode: 'letterbox' | 'resize';
  /** Channel order of the tensor (frames are stored rgb). */
  channelOrder: 'rgb' | 'bgr';
  /** Per tensor channel: value = (pixel - mean) * scale. */
  mean: readonly [number, number, number];
  /** Per tensor channel multiplier (1/255 for 0..1 inputs, 1 for 0..255). */
  scale: readonly [number, number, number];
  /** Pixel value (0..255, before mean/scale) of the letterbox padding. @defaultValue 114 */
  fill?: number;
  /** @defaultValue 'bilinear' */
  interpolation?: 'bilinear' | 'nearest';
}

/** How frame pixels map to network input pixels: `input = frame * scale` (top-left letterbox, no offset). */
export interface FrameTransform {
  frameWidth: number;
  frameHeight: number;
  scaleX: number;
  scaleY: number;
  /** Width and height of the image area inside the network input (the rest is padding). */
  contentWidth: number;
  contentHeight: number;
}

/** Computes the transform of a frame into the spec's input, without touching pixels. */
export function frameTransform(frameWidth: number, frameHeight: number, spec: PreprocessSpec): FrameTransform {
  if (!(frameWidth > 0 && frameHeight > 0)) {
    throw new RangeError(`frame size must be positive, got ${frameWidth}x${frameHeight}`);
  }
  if (spec.mode === 'resize') {
    return {
      frameWidth,
      frameHeight,
      scaleX: spec.width / frameWidth,
      scaleY: spec.height / frameHeight,
      contentWidth: spec.width,
      contentHeight: spec.height,
    };
  }
  const r = Math.min(spec.width / frameWidth, spec.height / frameHeight);
  // Same rounding as the YOLOX reference preprocessing: int(w * r).
  const cw = Math.max(1, Math.min(spec.width, Math.floor(frameWidth * r + 1e-6)));
  const ch = Math.max(1, Math.min(spec.height, Math.floor(frameHeight * r + 1e-6)));
  return { frameWidth, frameHeight, scaleX: r, scaleY: r, contentWidth: cw, contentHeight: ch };
}

/** Sampling tables of one axis: source index pair and weight per destination index. */
interface AxisTable {
  i0: Int32Array;
  i1: Int32Array;
  w: Float32Array;
}

function axisTable(dst: number, src: number, nearest: boolean): AxisTable {
  const i0 = new Int32Array(dst);
  const i1 = new Int32Array(dst);
  const w = new Float32Array(dst);
  const ratio = src / dst;
  for (let d = 0; d < dst; d++) {
    if (nearest) {
      const s = Math.min(src - 1, Math.floor((d + 0.5) * ratio));
      i0[d] = s;
      i1[d] = s;
      w[d] = 0;
      continue;
    }
    let s = (d + 0.5) * ratio - 0.5;
    if (s < 0) {
      s = 0;
    }
    let a = Math.floor(s);
    if (a >= src - 1) {
      a = src - 1;
    }
    i0[d] = a;
    i1[d] = Math.min(a + 1, src - 1);
    w[d] = s - a;
  }
  return { i0, i1, w };
}

const tableCache = new Map<string, { x: AxisTable; y: AxisTable }>();

function tables(t: FrameTransform, nearest: boolean): { x: AxisTable; y: AxisTable } {
  const key = `${t.frameWidth}x${t.frameHeight}>${t.contentWidth}x${t.contentHeight}:${nearest ? 'n' : 'b'}`;
  let v = tableCache.get(key);
  if (!v) {
    if (tableCache.size > 64) {
      tableCache.clear();
    }
    v = {
      x: axisTable(t.contentWidth, t.frameWidth, nearest),
      y: axisTable(t.contentHeight, t.frameHeight, nearest),
    };
    tableCache.set(key, v);
  }
  return v;
}

/**
 * Writes one frame into `out` (planar C×H×W at `offset`, the spec's size) and returns its transform.
 * `src` is rgb24, `width*height*3` bytes, row-major, no padding.
 */
export function preprocessInto(
  src: Uint8Array,
  width: number,
  height: number,
  spec: PreprocessSpec,
  out: Float32Array,
  offset = 0,
): FrameTransform {
  if (src.length < width * height * 3) {
    throw new RangeError(`frame buffer holds ${src.length} bytes, ${width}x${height} rgb24 needs ${width * height * 3}`);
  }
  const W = spec.width;
  const H = spec.height;
  const plane = W * H;
  if (out.length < offset + 3 * plane) {
    throw new RangeError(`tensor too small: ${out.length} < ${offset + 3 * plane}`);
  }
  const t = frameTransform(width, height, spec);
  const { x: tx, y: ty } = tables(t, spec.interpolation === 'nearest');
  // Tensor channel k reads source channel src[k]; rgb frames, so bgr swaps 0 and 2.
  const bgr = spec.channelOrder === 'bgr';
  const s0 = bgr ? 2 : 0;
  const s2 = bgr ? 0 : 2;
  const [m0, m1, m2] = spec.mean;
  const [k0, k1, k2] = spec.scale;
  const o0 = offset;
  const o1 = offset + plane;
  const o2 = offset + 2 * plane;
  const cw = t.contentWidth;
  const ch = t.contentHeight;
  const stride = width * 3;
  const xi0 = tx.i0;
  const xi1 = tx.i1;
  const xw = tx.w;
  for (let y = 0; y < ch; y++) {
    const r0 = ty.i0[y] * stride;
    const r1 = ty.i1[y] * stride;
    const fy = ty.w[y];
    const gy = 1 - fy;
    let o = y * W;
    for (let x = 0; x < cw; x++, o++) {
      const a = xi0[x] * 3;
      const b = xi1[x] * 3;
      const fx = xw[x];
      const gx = 1 - fx;
      const w00 = gx * gy;
      const w01 = fx * gy;
      const w10 = gx * fy;
      const w11 = fx * fy;
      const p00 = r0 + a;
      const p01 = r0 + b;
      const p10 = r1 + a;
      const p11 = r1 + b;
      out[o0 + o] =
        (src[p00 + s0] * w00 + src[p01 + s0] * w01 + src[p10 + s0] * w10 + src[p11 + s0] * w11 - m0) * k0;
      out[o1 + o] = (src[p00 + 1] * w00 + src[p01 + 1] * w01 + src[p10 + 1] * w10 + src[p11 + 1] * w11 - m1) * k1;
      out[o2 + o] =
        (src[p00 + s2] * w00 + src[p01 + s2] * w01 + src[p10 + s2] * w10 + src[p11 + s2] * w11 - m2) * k2;
    }
  }
  if (cw < W || ch < H) {
    const fill = spec.fill ?? 114;
    const f0 = (fill - m0) * k0;
    const f1 = (fill - m1) * k1;
    const f2 = (fill - m2) * k2;
    for (let y = 0; y < H; y++) {
      const from = y < ch ? cw : 0;
      const row = y * W;
      out.fill(f0, o0 + row + from, o0 + row + W);
      out.fill(f1, o1 + row + from, o1 + row + W);
      out.fill(f2, o2 + row + from, o2 + row + W);
    }
  }
  return t;
}

/** Maps a box in network input pixels back to frame fractions, clipped to the frame. */
export function inputBoxToFrame(x1: number, y1: number, x2: number, y2: number, t: FrameTransform): Box {
  const fx = 1 / (t.scaleX * t.frameWidth);
  const fy = 1 / (t.scaleY * t.frameHeight);
  return [clip01(x1 * fx), clip01(y1 * fy), clip01(x2 * fx), clip01(y2 * fy)];
}

/** Maps a box in frame fractions to network input pixels (the inverse of `inputBoxToFrame`, before clipping). */
export function frameBoxToInput(box: Box, t: FrameTransform): [number, number, number, number] {
  const sx = t.scaleX * t.frameWidth;
  const sy = t.scaleY * t.frameHeight;
  return [box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy];
}

function clip01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}
