import { float } from './attributes';
import type { GraphBuilder } from './graph-builder';

/**
 * Typed helpers that add one ONNX operator (opset 13) to a {@link GraphBuilder} and return the output name.
 * Tensors are NCHW. Every helper takes an optional `name` used for the node and its output.
 */

/** Padding of a 2-D window: explicit `[top, left, bottom, right]`, or TF-style automatic padding. */
export type Padding = readonly [number, number, number, number] | 'SAME_UPPER' | 'VALID';

/** Options of {@link conv}. */
export interface ConvOptions {
  /** Weight in ONNX layout [out, in/group, kh, kw]. */
  weight: Float32Array;
  /** Weight dims [out, in/group, kh, kw]. */
  dims: readonly [number, number, number, number];
  /** One value per output channel. */
  bias?: Float32Array;
  /** @defaultValue [1, 1] */
  strides?: readonly [number, number];
  /** @defaultValue 'VALID' (no padding) */
  padding?: Padding;
  /** @defaultValue [1, 1] */
  dilations?: readonly [number, number];
  /** Groups; `group = channels` with dims [C, 1, kh, kw] is a depthwise convolution. @defaultValue 1 */
  group?: number;
  name?: string;
}

function paddingAttrs(padding: Padding | undefined): { auto_pad?: string; pads?: number[] } {
  if (padding === undefined || padding === 'VALID') {
    return {};
  }
  if (padding === 'SAME_UPPER') {
    return { auto_pad: 'SAME_UPPER' };
  }
  const [t, l, b, r] = padding;
  return { pads: [t, l, b, r] };
}

/** Conv (also depthwise via `group`). */
export function conv(g: GraphBuilder, x: string, o: ConvOptions): string {
  const name = o.name ?? 'conv';
  const [cout] = o.dims;
  if (o.bias && o.bias.length !== cout) {
    throw new RangeError(`conv ${name}: bias has ${o.bias.length} values for ${cout} channels`);
  }
  const w = g.weight(`${name}.weight`, o.dims, o.weight);
  const inputs = [x, w];
  if (o.bias) {
    inputs.push(g.weight(`${name}.bias`, [cout], o.bias));
  }
  return g.node(
    'Conv',
    inputs,
    {
      kernel_shape: [o.dims[2], o.dims[3]],
      strides: [...(o.strides ?? [1, 1])],
      dilations: [...(o.dilations ?? [1, 1])],
      group: o.group ?? 1,
      ...paddingAttrs(o.padding),
    },
    { name },
  )[0];
}

/** Relu. */
export function relu(g: GraphBuilder, x: string, name = 'relu'): string {
  return g.node('Relu', [x], {}, { name })[0];
}

/** Sigmoid. */
export function sigmoid(g: GraphBuilder, x: string, name = 'sigmoid'): string {
  return g.node('Sigmoid', [x], {}, { name })[0];
}

/** Exp. */
export function exp(g: GraphBuilder, x: string, name = 'exp'): string {
  return g.node('Exp', [x], {}, { name })[0];
}

/** Clip to [min, max] (Relu6 is `clip(g, x, 0, 6)`). */
export function clip(g: GraphBuilder, x: string, min: number, max: number, name = 'clip'): string {
  const lo = g.constant(`${name}.min`, [], [min]);
  const hi = g.constant(`${name}.max`, [], [max]);
  return g.node('Clip', [x, lo, hi], {}, { name })[0];
}

/** Element-wise binary op with broadcasting; `b` is a value name or a constant `{dims, values}`. */
export function binary(
  g: GraphBuilder,
  op: 'Add' | 'Sub' | 'Mul' | 'Div',
  a: string,
  b: string | { dims: readonly number[]; values: readonly number[] | Float32Array },
  name: string = op.toLowerCase(),
): string {
  const bName = typeof b === 'string' ? b : g.constant(`${name}.b`, b.dims, b.values);
  return g.node(op, [a, bName], {}, { name })[0];
}

/** Add of two values. */
export function add(g: GraphBuilder, a: string, b: string, name = 'add'): string {
  return binary(g, 'Add', a, b, name);
}

/** Options of {@link maxPool} and {@link averagePool}. */
export interface PoolOptions {
  kernel: readonly [number, number];
  strides: readonly [number, number];
  /** @defaultValue 'VALID' */
  padding?: Padding;
  name?: string;
}

/** MaxPool. */
export function maxPool(g: GraphBuilder, x: string, o: PoolOptions): string {
  return g.node(
    'MaxPool',
    [x],
    { kernel_shape: [...o.kernel], strides: [...o.strides], ...paddingAttrs(o.padding) },
    { name: o.name ?? 'maxpool' },
  )[0];
}

/** AveragePool (padding never counted in the average, as in TF). */
export function averagePool(g: GraphBuilder, x: string, o: PoolOptions): string {
  return g.node(
    'AveragePool',
    [x],
    { kernel_shape: [...o.kernel], strides: [...o.strides], count_include_pad: 0, ...paddingAttrs(o.padding) },
    { name: o.name ?? 'avgpool' },
  )[0];
}

/** GlobalAveragePool: mean over H and W, [N, C, H, W] → [N, C, 1, 1]. */
export function globalAveragePool(g: GraphBuilder, x: string, name = 'gap'): string {
  return g.node('GlobalAveragePool', [x], {}, { name })[0];
}

/** Constant-value Pad; `pads` is ONNX order: all begins then all ends. */
export function pad(g: GraphBuilder, x: string, pads: readonly number[], value = 0, name = 'pad'): string {
  const p = g.int64(`${name}.pads`, pads);
  const v = g.constant(`${name}.value`, [], [value]);
  return g.node('Pad', [x, p, v], { mode: 'constant' }, { name })[0];
}

/** Concat along `axis`. */
export function concat(g: GraphBuilder, xs: readonly string[], axis: number, name = 'concat'): string {
  return g.node('Concat', xs, { axis }, { name })[0];
}

/** Reshape (0 copies the input dimension, -1 is inferred). */
export function reshape(g: GraphBuilder, x: string, shape: readonly number[], name = 'reshape'): string {
  const s = g.int64(`${name}.shape`, shape);
  return g.node('Reshape', [x, s], {}, { name })[0];
}

/** Transpose. */
export function transpose(g: GraphBuilder, x: string, perm: readonly number[], name = 'transpose'): string {
  return g.node('Transpose', [x], { perm: [...perm] }, { name })[0];
}

/** Flatten to 2-D at `axis`. */
export function flatten(g: GraphBuilder, x: string, axis = 1, name = 'flatten'): string {
  return g.node('Flatten', [x], { axis }, { name })[0];
}

/** Slice `[starts, ends)` along `axes` (opset 13 inputs form). */
export function slice(
  g: GraphBuilder,
  x: string,
  starts: readonly number[],
  ends: readonly number[],
  axes: readonly number[],
  name = 'slice',
): string {
  const s = g.int64(`${name}.starts`, starts);
  const e = g.int64(`${name}.ends`, ends);
  const a = g.int64(`${name}.axes`, axes);
  return g.node('Slice', [x, s, e, a], {}, { name })[0];
}

/** MatMul with a constant right-hand matrix [k, m] (a weight). */
export function matMulWeight(g: GraphBuilder, x: string, weight: Float32Array, k: number, m: number, name = 'matmul'): string {
  const w = g.weight(`${name}.weight`, [k, m], weight);
  return g.node('MatMul', [x, w], {}, { name })[0];
}

/** Gemm `x · W + b` with W given as [k, m] (no transpose). */
export function dense(
  g: GraphBuilder,
  x: string,
  weight: Float32Array,
  bias: Float32Array,
  k: number,
  m: number,
  name = 'gemm',
): string {
  const w = g.weight(`${name}.weight`, [k, m], weight);
  const b = g.weight(`${name}.bias`, [m], bias);
  return g.node('Gemm', [x, w, b], { alpha: float(1), beta: float(1) }, { name })[0];
}
