/**
 * YOLOX (Megvii) exports: input [1,3,H,W] BGR 0..255, top-left letterbox filled with 114; output [B, N, 5+C] with
 * N = sum over strides 8/16/32 of (H/s)(W/s) cells, rows `[tx, ty, tw, th, obj, cls...]` already sigmoid-ed.
 * Box of cell (gx, gy) at stride s: cx = (tx+gx)s, cy = (ty+gy)s, w = exp(tw)s, h = exp(th)s; score = obj × cls.
 */
import type { Candidate } from '../nms';
import { bad, imagePlan, type PixelSpec, fixedDim, fmtShape, imageInput, type DetectorFamily, type FamilyPlan, type ModelIO, type FamilyOptions } from './family';

const STRIDES = [8, 16, 32] as const;

/** Grid cell offsets and strides of every output row, in row order. */
export function yoloxGrid(width: number, height: number): { gx: Float32Array; gy: Float32Array; stride: Float32Array } {
  let n = 0;
  for (const s of STRIDES) {
    n += Math.floor(width / s) * Math.floor(height / s);
  }
  const gx = new Float32Array(n);
  const gy = new Float32Array(n);
  const stride = new Float32Array(n);
  let i = 0;
  for (const s of STRIDES) {
    const w = Math.floor(width / s);
    const h = Math.floor(height / s);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++, i++) {
        gx[i] = x;
        gy[i] = y;
        stride[i] = s;
      }
    }
  }
  return { gx, gy, stride };
}

/** The YOLOX family. */
export const yolox: DetectorFamily = {
  name: 'yolox',
  resolve(io: ModelIO, file: string, options?: FamilyOptions): FamilyPlan {
    const inp = imageInput(io, file, 'yolox', options);
    if (inp.width % 32 !== 0 || inp.height % 32 !== 0) {
      bad(file, 'yolox', `input size ${inp.width}x${inp.height} is not a multiple of 32`);
    }
    if (io.outputs.length !== 1) {
      bad(file, 'yolox', `expected 1 output [batch, cells, 5+classes], found ${io.outputs.length}`);
    }
    const out = io.outputs[0];
    const grid = yoloxGrid(inp.width, inp.height);
    const n = grid.gx.length;
    const rows = fixedDim(out.shape[1]);
    const cols = fixedDim(out.shape[2]);
    if (out.shape.length !== 3 || (rows !== undefined && rows !== n) || cols === undefined || cols < 6) {
      bad(
        file,
        'yolox',
        `output "${out.name}" has shape ${fmtShape(out.shape)}, expected [batch,${n},5+classes] for a ` +
          `${inp.width}x${inp.height} input`,
      );
    }
    const numClasses = cols - 5;
    const outName = out.name;
    const pixels: PixelSpec = {
      mode: 'letterbox',
      channelOrder: 'bgr',
      mean: [0, 0, 0],
      scale: [1, 1, 1],
      fill: 114,
    };
    return imagePlan('yolox', inp, pixels, { names: [outName], numClasses }, (outputs, b, minScore) => {
      const t = outputs[outName];
      const d = t.data;
      const res: Candidate[] = [];
      let o = b * n * cols;
      for (let i = 0; i < n; i++, o += cols) {
        const obj = d[o + 4];
        if (obj < minScore) {
          continue;
        }
        let best = 0;
        let bestScore = d[o + 5];
        for (let c = 1; c < numClasses; c++) {
          const v = d[o + 5 + c];
          if (v > bestScore) {
            bestScore = v;
            best = c;
          }
        }
        const score = obj * bestScore;
        if (score < minScore) {
          continue;
        }
        const s = grid.stride[i];
        const cx = (d[o] + grid.gx[i]) * s;
        const cy = (d[o + 1] + grid.gy[i]) * s;
        const w = Math.exp(d[o + 2]) * s;
        const h = Math.exp(d[o + 3]) * s;
        res.push({ classId: best, score, x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 });
      }
      return res;
    });
  },
};
