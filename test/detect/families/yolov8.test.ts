import assert from 'node:assert/strict';
import { ModelError } from '../../../src/core/errors';
import { yolov8 } from '../../../src/detect/families/yolov8';

describe('yolov8 family', () => {
  const io = (shape: Array<number | string>) => ({ inputs: [{ name: 'images', shape: [1, 3, 640, 640] }], outputs: [{ name: 'output0', shape }] });

  it('#resolve: RGB /255 letterbox 114, 80 classes from [1,84,8400]', () => {
    const plan = yolov8.resolve(io([1, 84, 8400]), 'yolov8n.onnx');
    assert.equal(plan.numClasses, 80);
    assert.equal(plan.preprocess.channelOrder, 'rgb');
    assert.equal(plan.preprocess.mode, 'letterbox');
    assert.equal(plan.preprocess.fill, 114);
  });

  it('#decode reads [1, 4+C, N] (cx, cy, w, h, scores) and the transposed layout', () => {
    const C = 2;
    const N = 10;
    const data = new Float32Array((4 + C) * N);
    const set = (k: number, i: number, v: number) => (data[k * N + i] = v);
    set(0, 3, 30);
    set(1, 3, 40);
    set(2, 3, 10);
    set(3, 3, 20);
    set(4, 3, 0.1);
    set(5, 3, 0.7);
    const plan = yolov8.resolve(io([1, 4 + C, N]), 'mine.onnx');
    const out = plan.decode({ output0: { data, dims: [1, 4 + C, N] } }, 0, 0.25);
    assert.equal(out.length, 1);
    assert.deepEqual([out[0].classId, out[0].x1, out[0].y1, out[0].x2, out[0].y2], [1, 25, 30, 35, 50]);
    assert.ok(Math.abs(out[0].score - 0.7) < 1e-6);
    const tdata = new Float32Array((4 + C) * N);
    for (let k = 0; k < 4 + C; k++) {
      for (let i = 0; i < N; i++) {
        tdata[i * (4 + C) + k] = data[k * N + i];
      }
    }
    const tplan = yolov8.resolve(io([1, 8400, 4 + C]), 'mine-t.onnx');
    const tout = tplan.decode({ output0: { data: tdata, dims: [1, N, 4 + C] } }, 0, 0.25);
    assert.deepEqual([tout[0].classId, tout[0].x1, tout[0].y1, tout[0].x2, tout[0].y2], [1, 25, 30, 35, 50]);
  });

  it('#resolve rejects a 4-d output', () => {
    assert.throws(() => yolov8.resolve(io([1, 85, 22, 22]), 'fastestdet.onnx'), (e: unknown) => e instanceof ModelError && /fastestdet\.onnx/.test(e.message));
  });
});
