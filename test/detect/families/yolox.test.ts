import assert from 'node:assert/strict';
import { ModelError } from '../../../src/core/errors';
import { yolox, yoloxGrid } from '../../../src/detect/families/yolox';
import { compileFilter, postprocess } from '../../../src/detect/postprocess';
import { frameBoxToInput, frameTransform } from '../../../src/detect/preprocess';

const io = (w: number, h: number, rows: number | string, cols: number) => ({
  inputs: [{ name: 'images', shape: [1, 3, h, w] }],
  outputs: [{ name: 'output', shape: [1, rows, cols] }],
});

/** Writes a box (input pixels) into the YOLOX row of cell (gx, gy) at `stride`. */
function encode(data: Float32Array, w: number, h: number, cols: number, gx: number, gy: number, stride: number, box: number[], obj: number, cls: number, p: number) {
  const grid = yoloxGrid(w, h);
  let row = -1;
  for (let i = 0; i < grid.gx.length; i++) {
    if (grid.gx[i] === gx && grid.gy[i] === gy && grid.stride[i] === stride) {
      row = i;
    }
  }
  assert.ok(row >= 0);
  const o = row * cols;
  const [x1, y1, x2, y2] = box;
  data[o] = (x1 + x2) / 2 / stride - gx;
  data[o + 1] = (y1 + y2) / 2 / stride - gy;
  data[o + 2] = Math.log((x2 - x1) / stride);
  data[o + 3] = Math.log((y2 - y1) / stride);
  data[o + 4] = obj;
  data[o + 5 + cls] = p;
}

describe('yolox family', () => {
  it('#resolve reads the real export layout: 416x416 BGR letterbox, 3549 rows, batch 1', () => {
    const plan = yolox.resolve(io(416, 416, 3549, 85), 'yolox_nano.onnx');
    assert.equal(plan.preprocess.mode, 'letterbox');
    assert.equal(plan.preprocess.channelOrder, 'bgr');
    assert.equal(plan.preprocess.fill, 114);
    assert.deepEqual(plan.preprocess.scale, [1, 1, 1]);
    assert.equal(plan.maxBatch, 1);
    assert.equal(plan.numClasses, 80);
    assert.equal(plan.defaultLabels[0], 'person');
  });

  it('#resolve rejects a wrong output layout with a ModelError naming the file', () => {
    assert.throws(
      () => yolox.resolve(io(416, 416, 1000, 85), '/m/other.onnx'),
      (e: unknown) => e instanceof ModelError && /\/m\/other\.onnx/.test(e.message) && /3549/.test(e.message),
    );
    assert.throws(() => yolox.resolve({ inputs: [], outputs: [] }, 'x.onnx'), ModelError);
    assert.throws(
      () => yolox.resolve({ inputs: [{ name: 'i', shape: [1, 1, 416, 416] }], outputs: [{ name: 'o', shape: [1, 3549, 85] }] }, 'x.onnx'),
      /1 channels/,
    );
  });

  it('#decode turns a crafted cell into its box and score (obj x cls)', () => {
    const cols = 7;
    const plan = yolox.resolve(io(64, 64, 84, cols), 't.onnx');
    const data = new Float32Array(84 * cols);
    encode(data, 64, 64, cols, 3, 2, 8, [20, 4, 36, 36], 0.9, 1, 0.8);
    const out = plan.decode({ output: { data, dims: [1, 84, cols] } }, 0, 0.3);
    assert.equal(out.length, 1);
    const c = out[0];
    assert.equal(c.classId, 1);
    assert.ok(Math.abs(c.score - 0.72) < 1e-6);
    [c.x1, c.y1, c.x2, c.y2].forEach((v, i) => assert.ok(Math.abs(v - [20, 4, 36, 36][i]) < 1e-4, `${v}`));
    assert.equal(plan.decode({ output: { data, dims: [1, 84, cols] } }, 0, 0.75).length, 0);
  });

  it('known boxes in frame fractions come back out through letterbox, decode, NMS and labels', () => {
    const plan = yolox.resolve(io(416, 416, 3549, 85), 'yolox_nano.onnx');
    const data = new Float32Array(3549 * 85);
    const t = frameTransform(640, 480, plan.preprocess);
    const person: [number, number, number, number] = [0.1, 0.2, 0.3, 0.8];
    const car: [number, number, number, number] = [0.5, 0.5, 0.9, 0.7];
    const pBox = frameBoxToInput(person, t);
    const cBox = frameBoxToInput(car, t);
    encode(data, 416, 416, 85, Math.floor((pBox[0] + pBox[2]) / 2 / 32), Math.floor((pBox[1] + pBox[3]) / 2 / 32), 32, pBox, 0.95, 0, 0.9);
    // A weaker duplicate of the person one cell over at stride 16: NMS removes it.
    encode(data, 416, 416, 85, Math.floor((pBox[0] + pBox[2]) / 2 / 16), Math.floor((pBox[1] + pBox[3]) / 2 / 16), 16, pBox.map((v) => v + 2), 0.8, 0, 0.8);
    encode(data, 416, 416, 85, Math.floor((cBox[0] + cBox[2]) / 2 / 16), Math.floor((cBox[1] + cBox[3]) / 2 / 16), 16, cBox, 0.9, 2, 0.7);
    const opts = { labels: plan.defaultLabels, scoreThreshold: 0.3, classThresholds: {}, nmsIou: 0.45 };
    const filter = compileFilter(opts, plan.numClasses);
    const dets = postprocess(plan.decode({ output: { data, dims: [1, 3549, 85] } }, 0, filter.minScore), filter, opts, t);
    assert.deepEqual(dets.map((d) => d.label), ['person', 'car']);
    dets[0].box.forEach((v, i) => assert.ok(Math.abs(v - person[i]) < 1e-4));
    dets[1].box.forEach((v, i) => assert.ok(Math.abs(v - car[i]) < 1e-4));
    // Class filter and per-class threshold.
    const onlyCars = { ...opts, classes: ['car'] };
    const f2 = compileFilter(onlyCars, plan.numClasses);
    assert.deepEqual(postprocess(plan.decode({ output: { data, dims: [1, 3549, 85] } }, 0, f2.minScore), f2, onlyCars, t).map((d) => d.label), ['car']);
    const strictCar = { ...opts, classThresholds: { car: 0.9 } };
    const f3 = compileFilter(strictCar, plan.numClasses);
    assert.deepEqual(postprocess(plan.decode({ output: { data, dims: [1, 3549, 85] } }, 0, f3.minScore), f3, strictCar, t).map((d) => d.label), ['person']);
  });
});
