import { endianness } from 'node:os';
import { onnx } from 'onnx-proto';

/** This machine stores numbers little-endian (read once). */
const HOST_LITTLE_ENDIAN = endianness() === 'LE';

/** ONNX element type codes used by the writer (TensorProto.DataType). */
export const ElemType = {
  FLOAT: onnx.TensorProto.DataType.FLOAT,
  INT64: onnx.TensorProto.DataType.INT64,
} as const;

/** Little-endian bytes of a Float32Array (ONNX `raw_data` is always little-endian). */
export function float32Bytes(values: Float32Array): Uint8Array {
  if (HOST_LITTLE_ENDIAN) {
    return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  }
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    view.setFloat32(i * 4, values[i], true);
  }
  return out;
}

/** Little-endian bytes of int64 values given as JS numbers (exact up to 2^53). */
export function int64Bytes(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    view.setBigInt64(i * 8, BigInt(values[i]), true);
  }
  return out;
}

/** Number of elements of a shape (1 for a scalar). */
export function shapeSize(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) {
    n *= d;
  }
  return n;
}

/**
 * A float32 TensorProto with its data in `raw_data`.
 * @throws RangeError when `values.length` does not match `dims`.
 */
export function floatTensor(name: string, dims: readonly number[], values: Float32Array): onnx.ITensorProto {
  if (values.length !== shapeSize(dims)) {
    throw new RangeError(`tensor ${name}: ${values.length} values do not fit shape [${dims.join(',')}]`);
  }
  return { name, dims: [...dims], dataType: ElemType.FLOAT, rawData: float32Bytes(values) };
}

/** An int64 TensorProto (shapes, pads, axes) with its data in `raw_data`. */
export function int64Tensor(name: string, dims: readonly number[], values: readonly number[]): onnx.ITensorProto {
  if (values.length !== shapeSize(dims)) {
    throw new RangeError(`tensor ${name}: ${values.length} values do not fit shape [${dims.join(',')}]`);
  }
  return { name, dims: [...dims], dataType: ElemType.INT64, rawData: int64Bytes(values) };
}
