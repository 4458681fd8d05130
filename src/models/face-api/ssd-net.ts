import { GraphBuilder, ops } from '../../onnx';
import { SSD_ANCHORS } from './ssd-decode';
import { tfConv, tfDepthwiseConv } from './tf-layers';
import type { WeightMap } from './weights';

/**
 * face-api's SsdMobilenetv1 face detector, rebuilt as ONNX, up to decoded boxes and scores (no NMS).
 *
 * Input `input`: float32 [N, 512, 512, 3], **NHWC, RGB, values 0..255**. face-api scales the image so its longer
 * side is 512, places it at the **top-left** and pads the rest with zeros (black); see `ssdLetterbox` in
 * `ssd-decode.ts`. Inside: `x / 127.5 - 1`, NHWC → NCHW, MobileNetV1 (13 depthwise-separable pairs, batch norm
 * folded, ReLU6), 8 extra prediction convolutions, 6 box predictors (3 anchors on the 32×32 map of layer 11,
 * 6 on the 16×16, 8×8, 4×4, 2×2 and 1×1 maps) = 5118 anchors, then face-api's box decoding with its anchors.
 *
 * Outputs:
 * - `boxes` [N, 5118, 4]: ymin, xmin, ymax, xmax in fractions of the 512×512 input (not clamped);
 * - `scores` [N, 5118]: face probability, `sigmoid(logit of class 1)`.
 * `decodeSsdFaces` (ssd-decode.ts) does face-api's NMS and maps the boxes back to the image.
 */
export const SSD_IO = { input: 'input', boxes: 'boxes', scores: 'scores', size: 512, anchors: SSD_ANCHORS } as const;

/** Batch norm epsilon face-api uses in MobileNetV1's depthwise layers. */
const BN_EPSILON = 0.0010000000474974513;

/** Builds the SSD graph from face-api's `ssd_mobilenetv1_model` weights. Pure. */
export function buildSsdNet(w: WeightMap): GraphBuilder {
  const g = new GraphBuilder({
    name: 'ssd_mobilenetv1',
    doc:
      'face-api SsdMobilenetv1 face detector. Input [N,512,512,3] NHWC RGB 0..255 (image top-left, zero padded; ' +
      'preprocessing inside); outputs boxes [N,5118,4] (ymin,xmin,ymax,xmax fractions) and scores [N,5118]. ' +
      'NMS outside the graph. Converted by Vigil from @vladmandic/face-api weights (MIT).',
  });
  const size = SSD_IO.size;
  const input = g.input(SSD_IO.input, ['N', size, size, 3]);
  const scaled = ops.binary(g, 'Div', input, { dims: [], values: [127.5] }, 'preprocess/div');
  const centred = ops.binary(g, 'Sub', scaled, { dims: [], values: [1] }, 'preprocess/sub');
  let x = ops.transpose(g, centred, [0, 3, 1, 2], 'preprocess/nchw');

  const pointwise = (v: string, prefix: string, stride: number): string => {
    const y = tfConv(g, v, {
      filter: w.get(`${prefix}/weights`),
      bias: w.get(`${prefix}/convolution_bn_offset`),
      stride,
      padding: 'same',
      name: prefix,
    });
    return ops.clip(g, y, 0, 6, `${prefix}/relu6`);
  };

  const depthwise = (v: string, prefix: string, stride: number): string => {
    const gamma = w.get(`${prefix}/BatchNorm/gamma`).data;
    const beta = w.get(`${prefix}/BatchNorm/beta`).data;
    const mean = w.get(`${prefix}/BatchNorm/moving_mean`).data;
    const variance = w.get(`${prefix}/BatchNorm/moving_variance`).data;
    const mul = new Float64Array(gamma.length);
    const add = new Float64Array(gamma.length);
    for (let c = 0; c < gamma.length; c++) {
      mul[c] = gamma[c] / Math.sqrt(variance[c] + BN_EPSILON);
      add[c] = beta[c] - mean[c] * mul[c];
    }
    const y = tfDepthwiseConv(g, v, { filter: w.get(`${prefix}/depthwise_weights`), affine: { mul, add }, stride, name: prefix });
    return ops.clip(g, y, 0, 6, `${prefix}/relu6`);
  };

  x = pointwise(x, 'MobilenetV1/Conv2d_0_pointwise', 2);
  let conv11 = '';
  for (let i = 1; i <= 13; i++) {
    const stride = [2, 4, 6, 12].includes(i) ? 2 : 1;
    x = depthwise(x, `MobilenetV1/Conv2d_${i}_depthwise`, stride);
    x = pointwise(x, `MobilenetV1/Conv2d_${i}_pointwise`, 1);
    if (i === 11) {
      conv11 = x;
    }
  }
  const features: string[] = [conv11, x];
  let p = x;
  for (let i = 0; i < 8; i++) {
    p = pointwise(p, `Prediction/Conv2d_${i}_pointwise`, i % 2 === 1 ? 2 : 1);
    if (i % 2 === 1) {
      features.push(p);
    }
  }

  const boxParts: string[] = [];
  const classParts: string[] = [];
  features.forEach((f, i) => {
    const prefix = `Prediction/BoxPredictor_${i}`;
    const head = (kind: string, per: number): string => {
      const y = tfConv(g, f, {
        filter: w.get(`${prefix}/${kind}/weights`),
        bias: w.get(`${prefix}/${kind}/biases`),
        stride: 1,
        padding: 'same',
        name: `${prefix}/${kind}`,
      });
      // TF's reshape of the NHWC map orders anchors as (row, column, anchor): transpose back before reshaping.
      const nhwc = ops.transpose(g, y, [0, 2, 3, 1], `${prefix}/${kind}/nhwc`);
      return ops.reshape(g, nhwc, [0, -1, per], `${prefix}/${kind}/reshape`);
    };
    boxParts.push(head('BoxEncodingPredictor', 4));
    classParts.push(head('ClassPredictor', 3));
  });
  const encodings = ops.concat(g, boxParts, 1, 'box_encodings');
  const classes = ops.concat(g, classParts, 1, 'class_predictions');

  // Anchor centres and sizes, computed once here in float32 exactly as face-api computes them in tfjs.
  const anchors = w.get('Output/extra_dim', [1, SSD_IO.anchors, 4]).data;
  const n = SSD_IO.anchors;
  const centre = new Float32Array(n * 2);
  const extent = new Float32Array(n * 2);
  const f = Math.fround;
  for (let a = 0; a < n; a++) {
    const s0 = f(anchors[4 * a + 2] - anchors[4 * a]);
    const s1 = f(anchors[4 * a + 3] - anchors[4 * a + 1]);
    extent[2 * a] = s0;
    extent[2 * a + 1] = s1;
    centre[2 * a] = f(anchors[4 * a] + f(s0 / 2));
    centre[2 * a + 1] = f(anchors[4 * a + 1] + f(s1 / 2));
  }
  const anchorCentre = g.constant('anchors/centre', [1, n, 2], centre);
  const anchorSize = g.constant('anchors/size', [1, n, 2], extent);
  const encCentre = ops.slice(g, encodings, [0], [2], [2], 'decode/enc_centre');
  const encSize = ops.slice(g, encodings, [2], [4], [2], 'decode/enc_size');
  const c1 = ops.binary(g, 'Div', encCentre, { dims: [], values: [10] }, 'decode/centre_div');
  const c2 = ops.binary(g, 'Mul', c1, anchorSize, 'decode/centre_mul');
  const boxCentre = ops.binary(g, 'Add', c2, anchorCentre, 'decode/centre');
  const h1 = ops.exp(g, ops.binary(g, 'Div', encSize, { dims: [], values: [5] }, 'decode/size_div'), 'decode/size_exp');
  const h2 = ops.binary(g, 'Mul', h1, anchorSize, 'decode/size_mul');
  const half = ops.binary(g, 'Div', h2, { dims: [], values: [2] }, 'decode/half');
  const lo = ops.binary(g, 'Sub', boxCentre, half, 'decode/min');
  const hi = ops.binary(g, 'Add', boxCentre, half, 'decode/max');
  g.node('Concat', [lo, hi], { axis: 2 }, { name: 'decode/boxes', outputs: [SSD_IO.boxes] });

  const faceLogit = ops.slice(g, classes, [1], [2], [2], 'scores/face_logit');
  const faceProb = ops.sigmoid(g, faceLogit, 'scores/sigmoid');
  const shape = g.int64('scores/shape', [0, -1]);
  g.node('Reshape', [faceProb, shape], {}, { name: 'scores/reshape', outputs: [SSD_IO.scores] });

  g.output(SSD_IO.boxes, ['N', n, 4]);
  g.output(SSD_IO.scores, ['N', n]);
  return g;
}
