import { GraphBuilder, ops } from '../../onnx';
import { meanRgbNormalize, tfConv, tfOutSize } from './tf-layers';
import type { WeightMap } from './weights';

/**
 * face-api's FaceRecognitionNet (the dlib ResNet-34-like face descriptor), rebuilt as ONNX.
 *
 * Input `input`: float32 [N, 150, 150, 3], **NHWC, RGB, values 0..255** — a face crop padded to a square and
 * resized to 150×150 (face-api pads centred with zeros, then resizes bilinearly). The graph itself does face-api's
 * preprocessing: `(x - [122.782, 117.001, 104.298]) / 255`, then NHWC → NCHW.
 * Output `descriptor`: float32 [N, 128], the face embedding (not normalised); same person when the euclidean
 * distance is below about 0.6.
 *
 * Body: conv 7×7/2 (valid) + scale + ReLU, max pool 3×3/2, residual stages 32×3, 64×4, 128×3, 256×4 where each
 * `down` block is conv 3×3/2 (valid) with a 2×2/2 average-pooled shortcut zero-padded in channels (and the
 * conv output zero-padded at the bottom/right when the pooled map is larger), global mean, fc 256 → 128.
 * Every `conv → bias → scale` triple is folded into one Conv.
 */
export const RECOGNITION_IO = { input: 'input', output: 'descriptor', size: 150 } as const;

/** The mean face-api subtracts (RGB). */
export const FACE_API_MEAN_RGB: readonly [number, number, number] = [122.782, 117.001, 104.298];

/** Builds the recognition graph from face-api's `face_recognition_model` weights. Pure. */
export function buildRecognitionNet(w: WeightMap): GraphBuilder {
  const g = new GraphBuilder({
    name: 'face_recognition',
    doc:
      'face-api FaceRecognitionNet (dlib ResNet, 128-d). Input [N,150,150,3] NHWC RGB 0..255 (preprocessing ' +
      'inside); output descriptor [N,128]. Converted by Vigil from @vladmandic/face-api weights (MIT; dlib weights public domain).',
  });
  const input = g.input(RECOGNITION_IO.input, ['N', RECOGNITION_IO.size, RECOGNITION_IO.size, 3]);
  let x = meanRgbNormalize(g, input, FACE_API_MEAN_RGB);
  let size: number = RECOGNITION_IO.size;
  let channels = 3;

  const convLayer = (v: string, prefix: string, stride: number, padding: 'same' | 'valid', relu: boolean): string => {
    const scale = w.get(`${prefix}/scale/weights`).data;
    const shift = w.get(`${prefix}/scale/biases`).data;
    const y = tfConv(g, v, {
      filter: w.get(`${prefix}/conv/filters`),
      bias: w.get(`${prefix}/conv/bias`),
      affine: { mul: scale, add: shift },
      stride,
      padding,
      name: prefix,
    });
    return relu ? ops.relu(g, y, `${prefix}/relu`) : y;
  };

  const residual = (v: string, prefix: string): string => {
    let y = convLayer(v, `${prefix}/conv1`, 1, 'same', true);
    y = convLayer(y, `${prefix}/conv2`, 1, 'same', false);
    return ops.relu(g, ops.add(g, y, v, `${prefix}/add`), `${prefix}/relu`);
  };

  const residualDown = (v: string, prefix: string): string => {
    const cout = w.get(`${prefix}/conv1/conv/filters`).shape[3];
    let y = convLayer(v, `${prefix}/conv1`, 2, 'valid', true);
    y = convLayer(y, `${prefix}/conv2`, 1, 'same', false);
    const convSize = tfOutSize(size, 3, 2, 'valid');
    const poolSize = tfOutSize(size, 2, 2, 'valid');
    let pooled = ops.averagePool(g, v, { kernel: [2, 2], strides: [2, 2], name: `${prefix}/shortcut_pool` });
    if (poolSize > convSize) {
      // face-api concatenates a zero row and column to the conv output when the pooled map is larger.
      const d = poolSize - convSize;
      y = ops.pad(g, y, [0, 0, 0, 0, 0, 0, d, d], 0, `${prefix}/pad_hw`);
    }
    if (cout > channels) {
      pooled = ops.pad(g, pooled, [0, 0, 0, 0, 0, cout - channels, 0, 0], 0, `${prefix}/pad_channels`);
    }
    size = poolSize;
    channels = cout;
    return ops.relu(g, ops.add(g, pooled, y, `${prefix}/add`), `${prefix}/relu`);
  };

  x = convLayer(x, 'conv32_down', 2, 'valid', true);
  size = tfOutSize(size, 7, 2, 'valid');
  channels = 32;
  x = ops.maxPool(g, x, { kernel: [3, 3], strides: [2, 2], name: 'pool' });
  size = tfOutSize(size, 3, 2, 'valid');

  for (const p of ['conv32_1', 'conv32_2', 'conv32_3']) {
    x = residual(x, p);
  }
  x = residualDown(x, 'conv64_down');
  for (const p of ['conv64_1', 'conv64_2', 'conv64_3']) {
    x = residual(x, p);
  }
  x = residualDown(x, 'conv128_down');
  for (const p of ['conv128_1', 'conv128_2']) {
    x = residual(x, p);
  }
  x = residualDown(x, 'conv256_down');
  for (const p of ['conv256_1', 'conv256_2']) {
    x = residual(x, p);
  }
  x = residualDown(x, 'conv256_down_out');

  const pooled = ops.flatten(g, ops.globalAveragePool(g, x, 'global_mean'), 1, 'flatten');
  const fc = w.get('fc', [256, 128]);
  const y = ops.matMulWeight(g, pooled, fc.data, 256, 128, 'fc');
  g.node('Identity', [y], {}, { name: 'descriptor_out', outputs: [RECOGNITION_IO.output] });
  g.output(RECOGNITION_IO.output, ['N', 128]);
  return g;
}
