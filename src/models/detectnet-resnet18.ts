import { GraphBuilder, SeededRandom, foldBatchNorm, ops, type BatchNormParams } from '../onnx';

/**
 * A DetectNet_v2 network on a ResNet18 backbone, laid out like NVIDIA TAO's exports (PeopleNet, TrafficCamNet,
 * DashCamNet), with **seeded random weights: it is untrained** and detects nothing meaningful. It exists to
 * exercise the `detectnet_v2` decoding path end to end and to measure the real ResNet18 cost on this hardware.
 *
 * Architecture: TAO's `resnet` template (nvidia_tao_tf1/core/templates/resnet.py) with DetectNet_v2's model
 * config (`num_layers: 18`, `use_batch_norm: true`, `all_projections: true`, `use_pooling: false`, the default):
 * - stem: conv 7×7/2, 64 channels, batch norm (folded), ReLU; with `use_pooling: false` there is **no max pool**;
 * - four stages of two basic blocks (3×3 conv-BN-ReLU, 3×3 conv-BN, shortcut add, ReLU), 64/128/256/512 channels,
 *   first-block strides 2, 2, 2, **1** (TAO's `first_stride = 2`, `last_stride = 1`), so the features are at
 *   stride 16; with `all_projections` every shortcut is a 1×1 conv + BN (folded);
 * - `usePooling: true` gives the variant with a 3×3/2 max pool after the stem and first strides 1, 2, 2, 1 (same
 *   resolutions and parameters; TAO itself would then also stride the last stage, which DetectNet_v2 does not use);
 * - "same" padding as Keras (the extra pixel at the end: ONNX SAME_UPPER);
 * - heads: 1×1 conv to C channels + Sigmoid (`output_cov/Sigmoid`), 1×1 conv to 4·C channels (`output_bbox/BiasAdd`);
 *   so that the untrained network still yields a few image-dependent boxes, its coverage head sees the features
 *   minus their spatial mean (an extra GlobalAveragePool + Sub, not in TAO's head).
 *
 * Input `input_1`: float32 [N, 3, H, W], **RGB, values / 255** (0..1, no mean subtraction: DeepStream's
 * `net-scale-factor=0.0039215697906911373`, `model-color-format=0` for these models), plain resize to W×H.
 * Outputs: `output_cov/Sigmoid` [N, C, H/16, W/16] and `output_bbox/BiasAdd` [N, 4C, H/16, W/16], channel 4c+k
 * being x1, y1, x2, y2 of class c (DeepStream's layout; box normalisation 35, offset 0.5 are the decoder's job).
 * Batch (N) is a free dimension; H and W are fixed per file and must be multiples of 16.
 */
export interface DetectNetResnet18Options {
  /** Input width in pixels (multiple of 16). */
  width: number;
  /** Input height in pixels (multiple of 16). */
  height: number;
  /** Number of classes C. @defaultValue 3 (PeopleNet: person, bag, face) */
  classes?: number;
  /** Seed of the weights. @defaultValue 3 (with it only class 0, person, fires on typical frames) */
  seed?: number;
  /** Max pool 3×3/2 after the stem instead of a strided first stage. @defaultValue false (TAO DetectNet_v2) */
  usePooling?: boolean;
  /** 1×1 projection on every shortcut, as TAO's `all_projections: true`. @defaultValue true */
  allProjections?: boolean;
}

/** Names of the graph's input and outputs (TAO's names without the `:0` suffix). */
export const DETECTNET_IO = {
  input: 'input_1',
  coverage: 'output_cov/Sigmoid',
  bbox: 'output_bbox/BiasAdd',
} as const;

/** Output stride of the network. */
export const DETECTNET_STRIDE = 16;

/**
 * Coverage head: zero-mean random weights (post-ReLU features share a positive mean, which would otherwise shift
 * each class up or down as a whole) and a negative bias, so an untrained network marks a small, image-dependent
 * fraction of cells as objects instead of none or all.
 */
const COVERAGE_WEIGHT_STD = 3;
const COVERAGE_BIAS = -3;

function zeroMeanRows(w: Float32Array, rows: number): Float32Array {
  const per = w.length / rows;
  for (let r = 0; r < rows; r++) {
    const row = w.subarray(r * per, (r + 1) * per);
    const mean = row.reduce((a, b) => a + b, 0) / per;
    for (let i = 0; i < per; i++) {
      row[i] -= mean;
    }
  }
  return w;
}

/** The built graph plus its parameter count. */
export interface BuiltNetwork {
  graph: GraphBuilder;
  parameters: number;
}

/** The file name `buildModels` uses for a size. */
export function detectnetFileName(width: number, height: number): string {
  return `detectnet_resnet18_${width}x${height}.onnx`;
}

/** Builds the network (pure: no I/O). @throws RangeError when the size is not a multiple of 16. */
export function buildDetectNetResnet18(options: DetectNetResnet18Options): BuiltNetwork {
  const { width, height } = options;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width % 16 || height % 16 || width < 32 || height < 32) {
    throw new RangeError(`detectnet_resnet18: input ${width}x${height} must be multiples of 16, at least 32`);
  }
  const classes = options.classes ?? 3;
  const allProjections = options.allProjections ?? true;
  const rng = new SeededRandom(options.seed ?? 3);
  const g = new GraphBuilder({
    name: `detectnet_v2_resnet18_${width}x${height}`,
    doc:
      'DetectNet_v2 / ResNet18 with seeded random weights (UNTRAINED, for pipeline tests and benchmarks). ' +
      'Input RGB /255 NCHW; outputs output_cov/Sigmoid [N,C,H/16,W/16], output_bbox/BiasAdd [N,4C,H/16,W/16].',
  });

  const convBn = (x: string, cin: number, cout: number, k: number, stride: number, name: string, act: boolean): string => {
    // He-normal weights, then a seeded batch norm folded in (inference mode), as an exported TAO model has.
    const w = rng.normals(cout * cin * k * k, Math.sqrt(2 / (cin * k * k)));
    const bn: BatchNormParams = {
      scale: rng.uniforms(cout, 0.4, 0.8),
      offset: rng.normals(cout, 0.05),
      mean: rng.normals(cout, 0.05),
      variance: rng.uniforms(cout, 0.8, 1.2),
    };
    const f = foldBatchNorm(w, undefined, bn);
    const y = ops.conv(g, x, {
      weight: f.weight,
      bias: f.bias,
      dims: [cout, cin, k, k],
      strides: [stride, stride],
      padding: 'SAME_UPPER',
      name,
    });
    return act ? ops.relu(g, y, `${name}/relu`) : y;
  };

  const block = (x: string, cin: number, cout: number, stride: number, name: string): string => {
    let y = convBn(x, cin, cout, 3, stride, `${name}/conv_1`, true);
    y = convBn(y, cout, cout, 3, 1, `${name}/conv_2`, false);
    const project = allProjections || stride !== 1 || cin !== cout;
    const shortcut = project ? convBn(x, cin, cout, 1, stride, `${name}/conv_shortcut`, false) : x;
    return ops.relu(g, ops.add(g, y, shortcut, `${name}/add`), `${name}/relu`);
  };

  const input = g.input(DETECTNET_IO.input, ['N', 3, height, width]);
  const usePooling = options.usePooling ?? false;
  let x = convBn(input, 3, 64, 7, 2, 'conv1', true);
  if (usePooling) {
    x = ops.maxPool(g, x, { kernel: [3, 3], strides: [2, 2], padding: 'SAME_UPPER', name: 'pool1' });
  }
  const stages: Array<[number, number]> = [
    [64, usePooling ? 1 : 2],
    [128, 2],
    [256, 2],
    [512, 1],
  ];
  let cin = 64;
  stages.forEach(([cout, stride], i) => {
    x = block(x, cin, cout, stride, `block_${i + 1}a`);
    x = block(x, cout, cout, 1, `block_${i + 1}b`);
    cin = cout;
  });

  // The untrained coverage head sees the features minus their spatial mean: otherwise the mean feature vector,
  // identical in every cell, decides alone whether a class fires everywhere or nowhere.
  const centred = ops.binary(g, 'Sub', x, ops.globalAveragePool(g, x, 'output_cov/spatial_mean'), 'output_cov/centre');
  const cov = ops.conv(g, centred, {
    weight: zeroMeanRows(rng.normals(classes * 512, COVERAGE_WEIGHT_STD), classes),
    bias: new Float32Array(classes).fill(COVERAGE_BIAS),
    dims: [classes, 512, 1, 1],
    name: 'output_cov',
  });
  g.node('Sigmoid', [cov], {}, { name: 'output_cov/Sigmoid_node', outputs: [DETECTNET_IO.coverage] });
  // Positive offsets: DeepStream reads x1 = cx - 35·o_x1, x2 = cx + 35·o_x2, so the bias gives each cell a
  // 35×70-pixel (person-shaped) box around its centre; the small random weights make it vary with the image.
  const bboxB = new Float32Array(4 * classes);
  for (let c = 0; c < classes; c++) {
    bboxB.set([0.5, 1, 0.5, 1], 4 * c);
  }
  ops.conv(g, x, {
    weight: rng.normals(4 * classes * 512, 0.01),
    bias: bboxB,
    dims: [4 * classes, 512, 1, 1],
    name: DETECTNET_IO.bbox,
  });

  const gh = height / DETECTNET_STRIDE;
  const gw = width / DETECTNET_STRIDE;
  g.output(DETECTNET_IO.coverage, ['N', classes, gh, gw]);
  g.output(DETECTNET_IO.bbox, ['N', 4 * classes, gh, gw]);
  return { graph: g, parameters: g.parameters };
}
