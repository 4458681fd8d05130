import assert from 'node:assert/strict';
import { floatTensor, int64Tensor, shapeSize } from '../../src/onnx';

describe('floatTensor / int64Tensor', () => {
  it('stores little-endian raw data', () => {
    const f = floatTensor('f', [2], new Float32Array([1, -2]));
    const view = new DataView(f.rawData!.buffer, f.rawData!.byteOffset, f.rawData!.byteLength);
    assert.deepEqual([view.getFloat32(0, true), view.getFloat32(4, true)], [1, -2]);
    const i = int64Tensor('i', [2], [0, -1]);
    const iv = new DataView(i.rawData!.buffer);
    assert.deepEqual([iv.getBigInt64(0, true), iv.getBigInt64(8, true)], [0n, -1n]);
  });

  it('rejects data that does not fit the shape; a scalar has one element', () => {
    assert.throws(() => floatTensor('f', [2, 2], new Float32Array(3)), RangeError);
    assert.throws(() => int64Tensor('i', [3], [1]), RangeError);
    assert.equal(shapeSize([]), 1);
  });
});
