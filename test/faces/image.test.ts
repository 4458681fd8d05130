import assert from 'node:assert/strict';
import { fromLetterbox, letterbox, letterboxImage, packTensor, warpAffine, type RgbImage } from '../../src/faces/image';

function gradient(w: number, h: number): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      data[i] = x;
      data[i + 1] = y;
      data[i + 2] = 200;
    }
  }
  return { width: w, height: h, data };
}

describe('faces/image', () => {
  describe('#warpAffine', () => {
    it('is the identity for the identity map', () => {
      const src = gradient(16, 8);
      const out = warpAffine(src, [1, 0, 0, 0, 1, 0], 16, 8);
      assert.deepEqual(Array.from(out.data), Array.from(src.data));
    });

    it('fills outside the source and outside the valid rectangle', () => {
      const src = gradient(4, 4);
      const shifted = warpAffine(src, [1, 0, 2, 0, 1, 0], 4, 4, { fill: 9 });
      // output x=2,3 map to source x=4,5: outside
      assert.equal(shifted.data[(0 * 4 + 3) * 3], 9);
      assert.equal(shifted.data[(0 * 4 + 0) * 3], 2);
      const masked = warpAffine(src, [1, 0, 0, 0, 1, 0], 4, 4, { valid: { x: 1, y: 1, width: 2, height: 2 } });
      assert.equal(masked.data[2], 0, 'outside valid -> fill 0');
      assert.equal(masked.data[(1 * 4 + 1) * 3 + 2], 200);
    });

    it('box-filters strong downscales (a 1-px checkerboard becomes grey)', () => {
      const w = 64;
      const data = new Uint8Array(w * w * 3);
      for (let i = 0; i < w * w; i++) {
        const v = ((i % w) + Math.floor(i / w)) % 2 === 0 ? 255 : 0;
        data.fill(v, i * 3, i * 3 + 3);
      }
      const out = warpAffine({ width: w, height: w, data }, [4, 0, 0, 0, 4, 0], 16, 16);
      for (const v of out.data) {
        assert.ok(Math.abs(v - 128) < 20, `got ${v}`);
      }
    });
  });

  describe('#letterbox', () => {
    it('round-trips points and keeps the aspect ratio centred', () => {
      const lb = letterbox({ x: 100, y: 50, width: 400, height: 100 }, 320, 240);
      assert.equal(lb.scale, 0.8);
      assert.equal(lb.padX, 0);
      assert.equal(lb.padY, 80);
      assert.deepEqual(fromLetterbox(lb, 0, 80), [100, 50]);
      assert.deepEqual(fromLetterbox(lb, 320, 160), [500, 150]);
    });

    it('samples the region and pads the rest', () => {
      const src = gradient(200, 100);
      const lb = letterbox({ x: 0, y: 0, width: 200, height: 100 }, 100, 100);
      const img = letterboxImage(src, lb, 7);
      assert.equal(img.data[0], 7, 'top padding');
      const mid = (50 * 100 + 50) * 3;
      assert.ok(Math.abs(img.data[mid]! - 100) <= 2, `x at centre ${img.data[mid]}`);
      assert.ok(Math.abs(img.data[mid + 1]! - 50) <= 2, `y at centre ${img.data[mid + 1]}`);
    });
  });

  describe('#packTensor', () => {
    it('writes NCHW and NHWC slots with mean and scale', () => {
      const img = { width: 1, height: 2, data: Uint8Array.from([10, 20, 30, 40, 50, 60]) };
      const nchw = new Float32Array(12);
      packTensor(img, nchw, 1, 'nchw', [10, 0, 0], 0.5);
      assert.deepEqual(Array.from(nchw.slice(6)), [0, 15, 10, 25, 15, 30]);
      const nhwc = new Float32Array(6);
      packTensor(img, nhwc, 0, 'nhwc', [0, 0, 0], 1);
      assert.deepEqual(Array.from(nhwc), [10, 20, 30, 40, 50, 60]);
    });
  });
});
