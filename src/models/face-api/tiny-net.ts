import { GraphBuilder, ops } from '../../onnx';
import { meanRgbNormalize, tfConv, tfDepthwiseConv } from './tf-layers';
import type { WeightMap } from './weights';

/**
 * face-api's TinyFaceDetector (a Tiny-YOLOv2 with depthwise-separable convolutions, one class, 5 anchors),
 * rebuilt as ONNX up to its raw grid output; `decodeTinyFaces` (tiny-decode.ts) does the YOLO decoding and NMS.
 *
 * Input `input`: float32 [N, S, S, 3], **NHWC, RGB, values 0..255**, S = 416 by default (any multiple of 32 when
 * built with another `size`); the image scaled so its longer side is S, at the **top-left**, zero padded (as for
 * the SSD: `ssdLetterbox(w, h, S)`). Inside: `(x - [117.001, 114.697, 97.404]) / 255`, NHWC → NCHW, conv 3×3
 * (valid) + leaky ReLU 0.1, 5 × (max pool 2×2/2 "same", separable conv 3×3 + bias + leaky), max pool 2×2/1 "same",
 * conv 1×1 → 25 channels, NCHW → NHWC.
 * Output `grid`: float32 [N, G, G, 25] with G = S/32 (13 at 416): per cell, 5 anchors × (tx, ty, tw, th, objectness
 * logit), exactly face-api's `forward()` tensor.
 */
export const TINY_IO = { input: 'input', output: 'grid', size: 416 } as const;

/** The mean face-api's TinyFaceDetector subtracts (RGB). */
export const TINY_MEAN_RGB: readonly [number, number, number] = [117.001, 114.697, 97.404];

/** Builds the TinyFaceDetector graph from face-api's `tiny_face_detector_model` weights. Pure. */
export function buildTinyFaceNet(w: WeightMap, size: number = TINY_IO.size): GraphBuilder {
  if (!Number.isInteger(size) || size % 32 !== 0 || size < 64) {
    throw new RangeError(`tiny face detector: input size ${size} must be a multiple of 32`);
  }
  const g = new GraphBuilder({
    name: 'tiny_face_detector',
    doc:
      `face-api TinyFaceDetector. Input [N,${size},${size},3] NHWC RGB 0..255 (image top-left, zero padded; ` +
      `preprocessing inside); output grid [N,${size / 32},${size / 32},25] (5 anchors x tx,ty,tw,th,logit). ` +
      'Converted by Vigil from @vladmandic/face-api weights (MIT).',
  });
  const input = g.input(TINY_IO.input, ['N', size, size, 3]);
  let x = meanRgbNormalize(g, input, TINY_MEAN_RGB);
  // face-api's leaky ReLU written as it computes it, relu(x - 0.1x) + 0.1x, which rounds like tfjs (LeakyRelu
  // would be the same function, a few ulps apart, and the differences add up over the layers).
  const leaky = (v: string, name: string) => {
    const tenth = ops.binary(g, 'Mul', v, { dims: [], values: [0.1] }, `${name}/tenth`);
    const pos = ops.relu(g, ops.binary(g, 'Sub', v, tenth, `${name}/sub`), `${name}/relu`);
    return ops.add(g, pos, tenth, name);
  };
  const pool = (v: string, stride: number, name: string) =>
    ops.maxPool(g, v, { kernel: [2, 2], strides: [stride, stride], padding: 'SAME_UPPER', name });

  x = leaky(tfConv(g, x, { filter: w.get('conv0/filters'), bias: w.get('conv0/bias'), stride: 1, padding: 'valid', name: 'conv0' }), 'conv0/leaky');
  for (let i = 1; i <= 5; i++) {
    x = pool(x, 2, `pool${i}`);
    const dw = tfDepthwiseConv(g, x, { filter: w.get(`conv${i}/depthwise_filter`), stride: 1, name: `conv${i}/depthwise` });
    const pw = tfConv(g, dw, {
      filter: w.get(`conv${i}/pointwise_filter`),
      bias: w.get(`conv${i}/bias`),
      stride: 1,
      padding: 'valid',
      name: `conv${i}/pointwise`,
    });
    x = leaky(pw, `conv${i}/leaky`);
  }
  x = pool(x, 1, 'pool6');
  const head = tfConv(g, x, { filter: w.get('conv8/filters', [1, 1, 512, 25]), bias: w.get('conv8/bias'), stride: 1, padding: 'valid', name: 'conv8' });
  g.node('Transpose', [head], { perm: [0, 2, 3, 1] }, { name: 'grid_nhwc', outputs: [TINY_IO.output] });
  const cells = size / 32;
  g.output(TINY_IO.output, ['N', cells, cells, 25]);
  return g;
}
