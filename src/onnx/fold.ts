/**
 * Pure weight folding: turns `conv → batch norm` and `conv → per-channel scale` pairs into one convolution.
 * Weights are in ONNX layout, [outChannels, inChannels/group, kh, kw], and are never modified in place.
 */

/** Batch-normalisation parameters, one value per channel. */
export interface BatchNormParams {
  /** gamma */
  scale: Float32Array;
  /** beta */
  offset: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  /** Added to the variance. @defaultValue 1e-3 (Keras / TF) */
  epsilon?: number;
}

/** A convolution's folded weight and bias. */
export interface FoldedConv {
  weight: Float32Array;
  bias: Float32Array;
}

/**
 * Scales each output channel `o` of `weight` by `mul[o]` and returns `bias*mul + add` as the new bias.
 * `y = (conv(x, W) + b) * mul + add` becomes `conv(x, W*mul) + (b*mul + add)`.
 */
export function foldChannelAffine(
  weight: Float32Array,
  bias: Float32Array | undefined,
  mul: ArrayLike<number>,
  add: ArrayLike<number>,
): FoldedConv {
  const out = mul.length;
  if (weight.length % out !== 0 || add.length !== out || (bias && bias.length !== out)) {
    throw new RangeError('foldChannelAffine: channel counts do not match');
  }
  const per = weight.length / out;
  const w = new Float32Array(weight.length);
  const b = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    const m = mul[o];
    for (let i = o * per, end = i + per; i < end; i++) {
      w[i] = weight[i] * m;
    }
    b[o] = (bias ? bias[o] : 0) * m + add[o];
  }
  return { weight: w, bias: b };
}

/** Folds an inference-mode batch norm that follows a convolution into the convolution's weight and bias. */
export function foldBatchNorm(weight: Float32Array, bias: Float32Array | undefined, bn: BatchNormParams): FoldedConv {
  const eps = bn.epsilon ?? 1e-3;
  const n = bn.scale.length;
  const mul = new Float64Array(n);
  const add = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    mul[c] = bn.scale[c] / Math.sqrt(bn.variance[c] + eps);
    add[c] = bn.offset[c] - bn.mean[c] * mul[c];
  }
  return foldChannelAffine(weight, bias, mul, add);
}
