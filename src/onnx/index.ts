/** A small ONNX graph writer on `onnx-proto`: builder, typed op helpers, weight folding and layout tools. */
export { GraphBuilder, type Dim, type GraphBuilderOptions } from './graph-builder';
export * as ops from './ops';
export type { ConvOptions, Padding, PoolOptions } from './ops';
export { foldBatchNorm, foldChannelAffine, type BatchNormParams, type FoldedConv } from './fold';
export { hwioToOihw, depthwiseToOnnx } from './layout';
export { SeededRandom } from './random';
export { float, floats, type AttrValue } from './attributes';
export { floatTensor, int64Tensor, shapeSize } from './tensor';
export { writeModel } from './write';
