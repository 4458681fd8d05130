import assert from 'node:assert/strict';
import { depthwiseToOnnx, hwioToOihw } from '../../src/onnx';

describe('hwioToOihw', () => {
  it('moves every element to [out, in, kh, kw]', () => {
    const kh = 2;
    const kw = 3;
    const cin = 2;
    const cout = 4;
    const src = Float32Array.from({ length: kh * kw * cin * cout }, (_, i) => i);
    const dst = hwioToOihw(src, kh, kw, cin, cout);
    for (let y = 0; y < kh; y++) {
      for (let x = 0; x < kw; x++) {
        for (let i = 0; i < cin; i++) {
          for (let o = 0; o < cout; o++) {
            assert.equal(dst[((o * cin + i) * kh + y) * kw + x], src[((y * kw + x) * cin + i) * cout + o]);
          }
        }
      }
    }
  });

  it('converts a depthwise [kh, kw, C, 1] filter to [C, 1, kh, kw]', () => {
    const src = Float32Array.from({ length: 2 * 2 * 3 }, (_, i) => i);
    const dst = depthwiseToOnnx(src, 2, 2, 3);
    assert.deepEqual(Array.from(dst.subarray(0, 4)), [0, 3, 6, 9]);
  });

  it('throws on a wrong size', () => {
    assert.throws(() => hwioToOihw(new Float32Array(5), 1, 1, 2, 3), RangeError);
  });
});
