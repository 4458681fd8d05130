/**
 * FastestDet (dog-qiuqiu) exports: input [1,3,H,W] BGR /255, plain resize; output [B, 5+C, gh, gw], per cell
 * `[obj, x, y, w, h, cls...]`. Box: cx = (gx + tanh(x)) / gw, cy = (gy + tanh(y)) / gh, w = sigmoid(w),
 * h = sigmoid(h), all as fractions of the input; score = obj^0.6 × cls^0.4.
 */
import type { Candidate } from '../nms';
import { bad, imagePlan, type PixelSpec, fixedDim, fmtShape, imageInput, type DetectorFamily, type FamilyOptions, type FamilyPlan, type ModelIO } from './family';

function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}

/** The FastestDet family. */
export const fastestdet: DetectorFamily = {
  name: 'fastestdet',
  resolve(io: ModelIO, file: string, options?: FamilyOptions): FamilyPlan {
    const inp = imageInput(io, file, 'fastestdet', options);
    if (io.outputs.length !== 1) {
      bad(file, 'fastestdet', `expected 1 output [batch, 5+classes, gh, gw], found ${io.outputs.length}`);
    }
    const out = io.outputs[0];
    const ch = fixedDim(out.shape[1]);
    if (out.shape.length !== 4 || ch === undefined || ch < 6) {
      bad(file, 'fastestdet', `output "${out.name}" has shape ${fmtShape(out.shape)}, expected [batch,5+classes,gh,gw]`);
    }
    const numClasses = ch - 5;
    const outName = out.name;
    const W = inp.width;
    const H = inp.height;
    const pixels: PixelSpec = {
      mode: 'resize',
      channelOrder: 'bgr',
      mean: [0, 0, 0],
      scale: [1 / 255, 1 / 255, 1 / 255],
    };
    return imagePlan('fastestdet', inp, pixels, { names: [outName], numClasses }, (outputs, b, minScore) => {
      const t = outputs[outName];
      const gh = t.dims[2];
      const gw = t.dims[3];
      const plane = gh * gw;
      const d = t.data;
      const base = b * ch * plane;
      const res: Candidate[] = [];
      for (let gy = 0; gy < gh; gy++) {
        for (let gx = 0; gx < gw; gx++) {
          const p = base + gy * gw + gx;
          const obj = d[p];
          if (!(obj > 0)) {
            continue;
          }
          const objW = Math.pow(obj, 0.6);
          if (objW < minScore) {
            continue;
          }
          let best = 0;
          let bestScore = d[p + 5 * plane];
          for (let c = 1; c < numClasses; c++) {
            const v = d[p + (5 + c) * plane];
            if (v > bestScore) {
              bestScore = v;
              best = c;
            }
          }
          const score = bestScore > 0 ? objW * Math.pow(bestScore, 0.4) : 0;
          if (score < minScore) {
            continue;
          }
          const cx = ((gx + Math.tanh(d[p + plane])) / gw) * W;
          const cy = ((gy + Math.tanh(d[p + 2 * plane])) / gh) * H;
          const w = sigmoid(d[p + 3 * plane]) * W;
          const h = sigmoid(d[p + 4 * plane]) * H;
          res.push({ classId: best, score, x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 });
        }
      }
      return res;
    });
  },
};
