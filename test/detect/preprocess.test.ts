import assert from 'node:assert/strict';
import { frameBoxToInput, frameTransform, inputBoxToFrame, preprocessInto, type PreprocessSpec } from '../../src/detect/preprocess';

const letterbox: PreprocessSpec = {
  width: 416,
  height: 416,
  mode: 'letterbox',
  channelOrder: 'bgr',
  mean: [0, 0, 0],
  scale: [1, 1, 1],
  fill: 114,
};

/** A frame of one solid colour. */
function solid(w: number, h: number, rgb: [number, number, number]): Uint8Array {
  const px = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    px.set(rgb, i * 3);
  }
  return px;
}

describe('preprocess', () => {
  describe('#frameTransform', () => {
    it('letterboxes 640x480 into 416x416 at the top-left with ratio 0.65', () => {
      const t = frameTransform(640, 480, letterbox);
      assert.equal(t.scaleX, 0.65);
      assert.equal(t.scaleY, 0.65);
      assert.equal(t.contentWidth, 416);
      assert.equal(t.contentHeight, 312);
    });
    it('stretches with mode resize', () => {
      const t = frameTransform(768, 576, { ...letterbox, mode: 'resize', width: 352, height: 352 });
      assert.equal(t.scaleX, 352 / 768);
      assert.equal(t.scaleY, 352 / 576);
    });
    it('rejects an empty frame', () => {
      assert.throws(() => frameTransform(0, 10, letterbox), RangeError);
    });
  });

  describe('#preprocessInto', () => {
    it('writes planar BGR with the letterbox fill below the image', () => {
      const out = new Float32Array(3 * 416 * 416);
      preprocessInto(solid(640, 480, [10, 20, 30]), 640, 480, letterbox, out);
      const plane = 416 * 416;
      // Inside the image (row 100): B, G, R planes.
      assert.equal(out[100 * 416 + 5], 30);
      assert.equal(out[plane + 100 * 416 + 5], 20);
      assert.equal(out[2 * plane + 100 * 416 + 5], 10);
      // Below the image (row 400): fill 114 in every channel.
      assert.equal(out[400 * 416 + 5], 114);
      assert.equal(out[2 * plane + 415 * 416 + 415], 114);
    });
    it('applies mean and scale per channel, rgb order', () => {
      const spec: PreprocessSpec = { width: 8, height: 8, mode: 'resize', channelOrder: 'rgb', mean: [127, 127, 127], scale: [1 / 128, 1 / 128, 1 / 128] };
      const out = new Float32Array(3 * 64);
      preprocessInto(solid(16, 16, [255, 127, 0]), 16, 16, spec, out);
      assert.ok(Math.abs(out[0] - 1) < 1e-6);
      assert.equal(out[64], 0);
      assert.ok(Math.abs(out[128] + 127 / 128) < 1e-6);
    });
    it('interpolates bilinearly between pixel centres', () => {
      // 2x1 frame black | white upscaled to 4x1: centres at 0.25, 0.75, 1.25, 1.75 source px -> 0, .25, .75, 1.
      const src = new Uint8Array([0, 0, 0, 200, 200, 200]);
      const spec: PreprocessSpec = { width: 4, height: 1, mode: 'resize', channelOrder: 'rgb', mean: [0, 0, 0], scale: [1, 1, 1] };
      const out = new Float32Array(12);
      preprocessInto(src, 2, 1, spec, out);
      assert.deepEqual([...out.subarray(0, 4)], [0, 50, 150, 200]);
    });
    it('writes at an offset for the b-th image of a batch', () => {
      const spec: PreprocessSpec = { width: 4, height: 4, mode: 'resize', channelOrder: 'rgb', mean: [0, 0, 0], scale: [1, 1, 1] };
      const out = new Float32Array(2 * 48);
      preprocessInto(solid(8, 8, [1, 2, 3]), 8, 8, spec, out, 48);
      assert.equal(out[0], 0);
      assert.equal(out[48], 1);
      assert.equal(out[95], 3);
    });
    it('refuses a buffer shorter than width*height*3', () => {
      assert.throws(() => preprocessInto(new Uint8Array(10), 640, 480, letterbox, new Float32Array(3 * 416 * 416)), RangeError);
    });
  });

  describe('box round trip', () => {
    for (const [w, h, mode] of [
      [640, 480, 'letterbox'],
      [768, 576, 'letterbox'],
      [480, 640, 'letterbox'],
      [768, 576, 'resize'],
    ] as const) {
      it(`frame fractions -> input pixels -> frame fractions (${w}x${h}, ${mode})`, () => {
        const t = frameTransform(w, h, { ...letterbox, mode });
        const box: [number, number, number, number] = [0.1, 0.2, 0.55, 0.9];
        const [x1, y1, x2, y2] = frameBoxToInput(box, t);
        const back = inputBoxToFrame(x1, y1, x2, y2, t);
        back.forEach((v, i) => assert.ok(Math.abs(v - box[i]) < 1e-9, `${v} vs ${box[i]}`));
        // The box sits inside the image content of the input, never in the padding.
        assert.ok(x2 <= t.contentWidth + 1e-9 && y2 <= t.contentHeight + 1e-9);
      });
    }
    it('clips boxes that spill past the frame', () => {
      const t = frameTransform(640, 480, letterbox);
      assert.deepEqual(inputBoxToFrame(-10, -5, 500, 400, t), [0, 0, 1, 1]);
    });
  });
});
