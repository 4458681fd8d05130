import { GraphBuilder, ops } from '../../onnx';
import { FACE_API_MEAN_RGB } from './recognition-net';
import { meanRgbNormalize, tfConv, tfDepthwiseConv } from './tf-layers';
import type { WeightMap } from './weights';

/**
 * face-api's FaceLandmark68Net (dense blocks of depthwise-separable convolutions), rebuilt as ONNX.
 *
 * Input `input`: float32 [N, 112, 112, 3], **NHWC, RGB, values 0..255** — a face crop padded to a square and
 * resized to 112×112. Inside: `(x - [122.782, 117.001, 104.298]) / 255`, NHWC → NCHW, four dense blocks
 * (32, 64, 128, 256 channels, each halving the size), average pool 7×7/2, fc 256 → 136.
 * Output `landmarks`: float32 [N, 136] = x0, y0, x1, y1, … x67, y67 **in fractions of the square input**
 * (multiply by the crop side and add the crop origin; for a crop padded to a square, subtract the padding first,
 * as face-api's `postProcess` does). Point order is the iBUG 68 convention (jaw 0-16, brows 17-26, nose 27-35,
 * eyes 36-47, mouth 48-67).
 */
export const LANDMARK_IO = { input: 'input', output: 'landmarks', size: 112 } as const;

/** Builds the landmark graph from face-api's `face_landmark_68_model` weights. Pure. */
export function buildLandmarkNet(w: WeightMap): GraphBuilder {
  const g = new GraphBuilder({
    name: 'face_landmark_68',
    doc:
      'face-api FaceLandmark68Net. Input [N,112,112,3] NHWC RGB 0..255 (preprocessing inside); output landmarks ' +
      '[N,136] (x,y pairs in fractions of the input). Converted by Vigil from @vladmandic/face-api weights (MIT).',
  });
  const input = g.input(LANDMARK_IO.input, ['N', LANDMARK_IO.size, LANDMARK_IO.size, 3]);
  let x = meanRgbNormalize(g, input, FACE_API_MEAN_RGB);

  const separable = (v: string, prefix: string, stride: number): string => {
    const dw = tfDepthwiseConv(g, v, { filter: w.get(`${prefix}/depthwise_filter`), stride, name: `${prefix}/depthwise` });
    return tfConv(g, dw, {
      filter: w.get(`${prefix}/pointwise_filter`),
      bias: w.get(`${prefix}/bias`),
      stride: 1,
      padding: 'same',
      name: `${prefix}/pointwise`,
    });
  };

  const denseBlock4 = (v: string, prefix: string, first: boolean): string => {
    const c0 = first
      ? tfConv(g, v, {
          filter: w.get(`${prefix}/conv0/filters`),
          bias: w.get(`${prefix}/conv0/bias`),
          stride: 2,
          padding: 'same',
          name: `${prefix}/conv0`,
        })
      : separable(v, `${prefix}/conv0`, 2);
    const out1 = ops.relu(g, c0, `${prefix}/relu1`);
    const out2 = separable(out1, `${prefix}/conv1`, 1);
    const in3 = ops.relu(g, ops.add(g, out1, out2, `${prefix}/add12`), `${prefix}/relu2`);
    const out3 = separable(in3, `${prefix}/conv2`, 1);
    // face-api sums as out1 + (out2 + out3): the same association keeps float rounding identical.
    const sum23 = ops.add(g, out2, out3, `${prefix}/add23`);
    const in4 = ops.relu(g, ops.add(g, out1, sum23, `${prefix}/add123`), `${prefix}/relu3`);
    const out4 = separable(in4, `${prefix}/conv3`, 1);
    const sum34 = ops.add(g, out3, out4, `${prefix}/add34`);
    const sum234 = ops.add(g, out2, sum34, `${prefix}/add234`);
    return ops.relu(g, ops.add(g, out1, sum234, `${prefix}/add1234`), `${prefix}/relu4`);
  };

  x = denseBlock4(x, 'dense0', true);
  x = denseBlock4(x, 'dense1', false);
  x = denseBlock4(x, 'dense2', false);
  x = denseBlock4(x, 'dense3', false);
  x = ops.averagePool(g, x, { kernel: [7, 7], strides: [2, 2], name: 'avgpool' });
  const flat = ops.flatten(g, x, 1, 'flatten');
  const fcW = w.get('fc/weights', [256, 136]);
  const fcB = w.get('fc/bias', [136]);
  const y = ops.dense(g, flat, fcW.data, fcB.data, 256, 136, 'fc');
  g.node('Identity', [y], {}, { name: 'landmarks_out', outputs: [LANDMARK_IO.output] });
  g.output(LANDMARK_IO.output, ['N', 136]);
  return g;
}
