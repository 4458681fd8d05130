import assert from 'node:assert/strict';
import { foldBatchNorm, foldChannelAffine } from '../../src/onnx';

describe('foldBatchNorm', () => {
  it('gives the same result as conv followed by batch norm', () => {
    // A 1x1 conv with 2 inputs and 2 outputs, applied to one pixel.
    const w = new Float32Array([1, 2, 3, 4]);
    const b = new Float32Array([0.5, -1]);
    const bn = {
      scale: new Float32Array([2, 0.5]),
      offset: new Float32Array([1, 0]),
      mean: new Float32Array([0.25, 3]),
      variance: new Float32Array([4, 1]),
      epsilon: 0,
    };
    const x = [1, -2];
    const f = foldBatchNorm(w, b, bn);
    for (let o = 0; o < 2; o++) {
      const conv = w[2 * o] * x[0] + w[2 * o + 1] * x[1] + b[o];
      const expected = ((conv - bn.mean[o]) / Math.sqrt(bn.variance[o])) * bn.scale[o] + bn.offset[o];
      const folded = f.weight[2 * o] * x[0] + f.weight[2 * o + 1] * x[1] + f.bias[o];
      assert.ok(Math.abs(folded - expected) < 1e-6, `channel ${o}: ${folded} vs ${expected}`);
    }
    assert.deepEqual(Array.from(w), [1, 2, 3, 4], 'input weights are not modified');
  });

  it('rejects mismatched channel counts', () => {
    assert.throws(() => foldChannelAffine(new Float32Array(6), undefined, [1, 2, 3, 4], [0, 0, 0, 0]), RangeError);
  });
});
