/**
 * Ultralytics YOLOv8-style exports: input [B,3,H,W] RGB /255, letterbox filled with 114 (top-left here; the
 * decoder undoes whatever placement it used); output [B, 4+C, N] with rows `cx, cy, w, h` in input pixels and C
 * class scores (no objectness). A transposed [B, N, 4+C] output is read too.
 */
import type { Candidate } from '../nms';
import { bad, imagePlan, type PixelSpec, fixedDim, fmtShape, imageInput, type DetectorFamily, type FamilyOptions, type FamilyPlan, type ModelIO } from './family';

/** The YOLOv8 family. */
export const yolov8: DetectorFamily = {
  name: 'yolov8',
  resolve(io: ModelIO, file: string, options?: FamilyOptions): FamilyPlan {
    const inp = imageInput(io, file, 'yolov8', options, [640, 640]);
    if (io.outputs.length < 1) {
      bad(file, 'yolov8', 'no outputs');
    }
    const out = io.outputs[0];
    const a = fixedDim(out.shape[1]);
    const b = fixedDim(out.shape[2]);
    if (out.shape.length !== 3 || (a === undefined && b === undefined)) {
      bad(file, 'yolov8', `output "${out.name}" has shape ${fmtShape(out.shape)}, expected [batch,4+classes,boxes]`);
    }
    // Channels-first unless the fixed middle dimension is clearly the box count.
    const transposed = a === undefined || (b !== undefined && a > b);
    const channels = transposed ? b : a;
    if (channels === undefined || channels < 5) {
      bad(file, 'yolov8', `output "${out.name}" has shape ${fmtShape(out.shape)}: need at least 4+1 channels`);
    }
    const numClasses = channels - 4;
    const outName = out.name;
    const pixels: PixelSpec = {
      mode: 'letterbox',
      channelOrder: 'rgb',
      mean: [0, 0, 0],
      scale: [1 / 255, 1 / 255, 1 / 255],
      fill: 114,
    };
    return imagePlan('yolov8', inp, pixels, { names: [outName], numClasses }, (outputs, bi, minScore) => {
      const t = outputs[outName];
      const n = transposed ? t.dims[1] : t.dims[2];
      const d = t.data;
      const base = bi * n * channels;
      // Element (channel k, box i).
      const at = transposed ? (k: number, i: number) => d[base + i * channels + k] : (k: number, i: number) => d[base + k * n + i];
      const res: Candidate[] = [];
      for (let i = 0; i < n; i++) {
        let best = 0;
        let score = at(4, i);
        for (let c = 1; c < numClasses; c++) {
          const v = at(4 + c, i);
          if (v > score) {
            score = v;
            best = c;
          }
        }
        if (score < minScore) {
          continue;
        }
        const cx = at(0, i);
        const cy = at(1, i);
        const w = at(2, i);
        const h = at(3, i);
        res.push({ classId: best, score, x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 });
      }
      return res;
    });
  },
};
