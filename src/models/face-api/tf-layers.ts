import { foldChannelAffine, hwioToOihw, depthwiseToOnnx, ops, type GraphBuilder } from '../../onnx';
import type { WeightTensor } from './weights';

/** TF padding modes used by face-api: `same` maps to ONNX SAME_UPPER (extra pixel at the end, as TF does). */
export type TfPadding = 'same' | 'valid';

/** Output size of a TF convolution / pool along one axis. */
export function tfOutSize(size: number, kernel: number, stride: number, padding: TfPadding): number {
  return padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - kernel) / stride) + 1;
}

/** Options of {@link tfConv}. */
export interface TfConvOptions {
  /** TF filter [kh, kw, in, out]. */
  filter: WeightTensor;
  bias?: WeightTensor;
  /** Per-channel `y * mul + add` after the bias (face-api's scale layer, or a batch norm), folded in. */
  affine?: { mul: ArrayLike<number>; add: ArrayLike<number> };
  stride: number;
  padding: TfPadding;
  name: string;
}

/** An ONNX-layout conv weight and bias with a per-channel affine (x * mul + add) after it folded in, when there is one. */
function withAffine(
  weight: Float32Array,
  bias: Float32Array | undefined,
  affine: { mul: ArrayLike<number>; add: ArrayLike<number> } | undefined,
): { weight: Float32Array; bias: Float32Array | undefined } {
  return affine ? foldChannelAffine(weight, bias, affine.mul, affine.add) : { weight, bias };
}

/** A face-api `tf.conv2d` (+ bias, + folded affine) on an NCHW value. */
export function tfConv(g: GraphBuilder, x: string, o: TfConvOptions): string {
  const [kh, kw, cin, cout] = o.filter.shape;
  const { weight, bias } = withAffine(hwioToOihw(o.filter.data, kh, kw, cin, cout), o.bias?.data, o.affine);
  return ops.conv(g, x, {
    weight,
    bias,
    dims: [cout, cin, kh, kw],
    strides: [o.stride, o.stride],
    padding: o.padding === 'same' ? 'SAME_UPPER' : 'VALID',
    name: o.name,
  });
}

/** Options of {@link tfDepthwiseConv}. */
export interface TfDepthwiseOptions {
  /** TF depthwise filter [kh, kw, C, 1]. */
  filter: WeightTensor;
  bias?: WeightTensor;
  affine?: { mul: ArrayLike<number>; add: ArrayLike<number> };
  stride: number;
  name: string;
}

/** A face-api `tf.depthwiseConv2d(..., 'same')` (+ folded affine) as a grouped ONNX Conv. */
export function tfDepthwiseConv(g: GraphBuilder, x: string, o: TfDepthwiseOptions): string {
  const [kh, kw, c, mult] = o.filter.shape;
  if (mult !== 1) {
    throw new RangeError(`${o.name}: depthwise multiplier ${mult} is not supported`);
  }
  const { weight, bias } = withAffine(depthwiseToOnnx(o.filter.data, kh, kw, c), o.bias?.data, o.affine);
  return ops.conv(g, x, {
    weight,
    bias,
    dims: [c, 1, kh, kw],
    strides: [o.stride, o.stride],
    padding: 'SAME_UPPER',
    group: c,
    name: o.name,
  });
}

/**
 * The preprocessing face-api applies to a [N, S, S, 3] RGB 0..255 batch, then NHWC → NCHW:
 * `(x - mean) / 255` for the recognition and landmark nets.
 */
export function meanRgbNormalize(g: GraphBuilder, input: string, meanRgb: readonly [number, number, number]): string {
  const centred = ops.binary(g, 'Sub', input, { dims: [1, 1, 1, 3], values: meanRgb }, 'preprocess/sub_mean');
  const scaled = ops.binary(g, 'Div', centred, { dims: [], values: [255] }, 'preprocess/div255');
  return ops.transpose(g, scaled, [0, 3, 1, 2], 'preprocess/nchw');
}
