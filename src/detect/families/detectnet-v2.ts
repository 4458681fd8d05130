/**
 * NVIDIA DetectNet_v2 (TAO PeopleNet, TrafficCamNet, DashCamNet; ResNet backbones): input [B,3,H,W] RGB /255,
 * plain resize; two outputs on a stride-16 grid: coverage [B, C, gh, gw] (sigmoid) and bbox [B, 4C, gh, gw].
 * Box of class c at cell (gx, gy), as DeepStream's `nvdsinfer` DetectNet parser computes it (bbox norm 35,
 * centre offset 0.5, stride = ceil(input / grid)):
 *   x1 = gx·sx + 0.5 − o_x1·35, y1 = gy·sy + 0.5 − o_y1·35, x2 = gx·sx + 0.5 + o_x2·35, y2 = gy·sy + 0.5 + o_y2·35
 * in network input pixels, clipped to the input; cells with coverage ≥ the threshold become candidates, which the
 * shared post-processing then clusters: class-wise NMS by default (DeepStream's `cluster-mode=2`), or DeepStream's
 * DBSCAN (`cluster-mode=1`, or 3 = DBSCAN then NMS) with `models.detector.cluster` (src/detect/dbscan.ts).
 */
import { PEOPLENET_LABELS } from '../labels';
import type { Candidate } from '../nms';
import { bad, imagePlan, type PixelSpec, type OutputSpec, fixedDim, fmtShape, imageInput, type DetectorFamily, type FamilyOptions, type FamilyPlan, type ModelIO, type OutputTensor, type TensorInfo } from './family';

/** DeepStream's box normalisation for DetectNet_v2. */
export const DETECTNET_BBOX_NORM = 35;
/** DeepStream's grid centre offset for DetectNet_v2. */
export const DETECTNET_OFFSET = 0.5;

function pickOutputs(io: ModelIO, file: string): { cov: TensorInfo; bbox: TensorInfo } {
  const four = io.outputs.filter((o) => o.shape.length === 4);
  if (io.outputs.length !== 2 || four.length !== 2) {
    bad(
      file,
      'detectnet_v2',
      `expected 2 outputs (coverage [batch,C,gh,gw] and bbox [batch,4C,gh,gw]), found ` +
        io.outputs.map((o) => `"${o.name}" ${fmtShape(o.shape)}`).join(', '),
    );
  }
  const byName = (re: RegExp) => four.find((o) => re.test(o.name));
  let cov = byName(/cov/i);
  let bbox = byName(/bbox|box/i);
  if (!cov || !bbox || cov === bbox) {
    const [a, b] = four;
    const ca = fixedDim(a.shape[1]) ?? 0;
    const cb = fixedDim(b.shape[1]) ?? 0;
    if (cb === 4 * ca) {
      cov = a;
      bbox = b;
    } else if (ca === 4 * cb) {
      cov = b;
      bbox = a;
    } else {
      bad(file, 'detectnet_v2', `cannot tell coverage from bbox: ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
    }
  }
  return { cov, bbox };
}

/** The DetectNet_v2 family. */
export const detectnetV2: DetectorFamily = {
  name: 'detectnet_v2',
  resolve(io: ModelIO, file: string, options?: FamilyOptions): FamilyPlan {
    const inp = imageInput(io, file, 'detectnet_v2', options);
    const { cov, bbox } = pickOutputs(io, file);
    const C = fixedDim(cov.shape[1]);
    const C4 = fixedDim(bbox.shape[1]);
    if (C === undefined || C4 !== 4 * C) {
      bad(
        file,
        'detectnet_v2',
        `bbox output "${bbox.name}" ${fmtShape(bbox.shape)} must have 4x the channels of coverage "${cov.name}" ` +
          fmtShape(cov.shape),
      );
    }
    for (const t of [cov, bbox]) {
      const gh = fixedDim(t.shape[2]);
      const gw = fixedDim(t.shape[3]);
      if ((gh !== undefined && gh !== Math.ceil(inp.height / 16)) || (gw !== undefined && gw !== Math.ceil(inp.width / 16))) {
        bad(
          file,
          'detectnet_v2',
          `output "${t.name}" ${fmtShape(t.shape)} is not a stride-16 grid of the ${inp.width}x${inp.height} input`,
        );
      }
    }
    const W = inp.width;
    const H = inp.height;
    const covName = cov.name;
    const bboxName = bbox.name;
    const pixels: PixelSpec = {
      mode: 'resize',
      channelOrder: 'rgb',
      mean: [0, 0, 0],
      scale: [1 / 255, 1 / 255, 1 / 255],
    };
    const out: OutputSpec = { names: [covName, bboxName], numClasses: C, defaultLabels: C === 3 ? PEOPLENET_LABELS : [] };
    return imagePlan('detectnet_v2', inp, pixels, out, (outputs, b, minScore) => {
      return decodeDetectnet(outputs[covName], outputs[bboxName], b, W, H, minScore);
    });
  },
};

/** DeepStream's DetectNet_v2 grid decode of image `b` (boxes in input pixels, clipped to the input). */
export function decodeDetectnet(
  cov: OutputTensor,
  bbox: OutputTensor,
  b: number,
  width: number,
  height: number,
  minScore: number,
): Candidate[] {
  const C = cov.dims[1];
  const gh = cov.dims[2];
  const gw = cov.dims[3];
  const grid = gh * gw;
  const sx = Math.ceil(width / gw);
  const sy = Math.ceil(height / gh);
  const n = DETECTNET_BBOX_NORM;
  const covBase = b * C * grid;
  const boxBase = b * 4 * C * grid;
  const res: Candidate[] = [];
  for (let c = 0; c < C; c++) {
    const cb = covBase + c * grid;
    const x1p = boxBase + c * 4 * grid;
    for (let gy = 0; gy < gh; gy++) {
      const cy = gy * sy + DETECTNET_OFFSET;
      for (let gx = 0; gx < gw; gx++) {
        const i = gy * gw + gx;
        const score = cov.data[cb + i];
        if (!(score >= minScore)) {
          continue;
        }
        const cx = gx * sx + DETECTNET_OFFSET;
        const x1 = clip(cx - bbox.data[x1p + i] * n, width - 1);
        const y1 = clip(cy - bbox.data[x1p + grid + i] * n, height - 1);
        const x2 = clip(cx + bbox.data[x1p + 2 * grid + i] * n, width - 1);
        const y2 = clip(cy + bbox.data[x1p + 3 * grid + i] * n, height - 1);
        if (x2 <= x1 || y2 <= y1) {
          continue;
        }
        res.push({ classId: c, score, x1, y1, x2, y2 });
      }
    }
  }
  return res;
}

function clip(v: number, max: number): number {
  return v < 0 ? 0 : v > max ? max : v;
}
