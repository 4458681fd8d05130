import assert from 'node:assert/strict';
import { ModelError } from '../../../src/core/errors';
import { fastestdet } from '../../../src/detect/families/fastestdet';

const io = (w: number, h: number, ch: number, g: number) => ({
  inputs: [{ name: 'input.1', shape: [1, 3, h, w] }],
  outputs: [{ name: '758', shape: [1, ch, g, g] }],
});

describe('fastestdet family', () => {
  it('#resolve reads the real export: 352x352 BGR /255 plain resize', () => {
    const plan = fastestdet.resolve(io(352, 352, 85, 22), 'fastestdet.onnx');
    assert.equal(plan.preprocess.mode, 'resize');
    assert.equal(plan.preprocess.channelOrder, 'bgr');
    assert.ok(Math.abs(plan.preprocess.scale[0] - 1 / 255) < 1e-12);
    assert.equal(plan.numClasses, 80);
  });

  it('#resolve rejects a YOLOX-shaped output', () => {
    assert.throws(
      () => fastestdet.resolve({ inputs: [{ name: 'images', shape: [1, 3, 416, 416] }], outputs: [{ name: 'output', shape: [1, 3549, 85] }] }, 'yolox_nano.onnx'),
      (e: unknown) => e instanceof ModelError && /yolox_nano\.onnx/.test(e.message) && /fastestdet/.test(e.message),
    );
  });

  it('#decode: cx=(gx+tanh x)/gw, w=sigmoid(w), score=obj^0.6*cls^0.4', () => {
    const g = 4;
    const ch = 7;
    const plan = fastestdet.resolve(io(88, 88, ch, g), 't.onnx');
    const plane = g * g;
    const data = new Float32Array(ch * plane);
    const p = 2 * g + 1; // gy=2, gx=1
    data[p] = 0.81;
    data[p + plane] = Math.atanh(0.5);
    data[p + 2 * plane] = 0;
    data[p + 3 * plane] = Math.log(0.25 / 0.75);
    data[p + 4 * plane] = 0;
    data[p + 6 * plane] = 0.9;
    data[p + 5 * plane] = 0.1;
    const out = plan.decode({ '758': { data, dims: [1, ch, g, g] } }, 0, 0.3);
    assert.equal(out.length, 1);
    const c = out[0];
    assert.equal(c.classId, 1);
    assert.ok(Math.abs(c.score - Math.pow(0.81, 0.6) * Math.pow(0.9, 0.4)) < 1e-6);
    // cx = 1.5/4*88 = 33, w = 22; cy = 2/4*88 = 44, h = 44.
    [c.x1, c.y1, c.x2, c.y2].forEach((v, i) => assert.ok(Math.abs(v - [22, 22, 44, 66][i]) < 1e-3, `${v}`));
  });
});
