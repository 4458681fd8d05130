import assert from 'node:assert/strict';
import { ModelError } from '../../../src/core/errors';
import { detectnetV2, DETECTNET_BBOX_NORM } from '../../../src/detect/families/detectnet-v2';
import { compileFilter, postprocess } from '../../../src/detect/postprocess';
import { frameTransform } from '../../../src/detect/preprocess';

const io = (w: number, h: number, c: number, names = ['output_cov/Sigmoid', 'output_bbox/BiasAdd']) => ({
  inputs: [{ name: 'input_1', shape: ['batch', 3, h, w] }],
  outputs: [
    { name: names[0], shape: ['batch', c, Math.ceil(h / 16), Math.ceil(w / 16)] },
    { name: names[1], shape: ['batch', 4 * c, Math.ceil(h / 16), Math.ceil(w / 16)] },
  ],
});

/** Writes DeepStream's encoding of box (input px) for class c at cell (gx, gy). */
function encode(cov: Float32Array, bbox: Float32Array, C: number, gw: number, gh: number, c: number, gx: number, gy: number, box: number[], score: number, b = 0) {
  const grid = gw * gh;
  const i = gy * gw + gx;
  cov[b * C * grid + c * grid + i] = score;
  const base = b * 4 * C * grid + c * 4 * grid;
  const cx = gx * 16 + 0.5;
  const cy = gy * 16 + 0.5;
  bbox[base + i] = (cx - box[0]) / DETECTNET_BBOX_NORM;
  bbox[base + grid + i] = (cy - box[1]) / DETECTNET_BBOX_NORM;
  bbox[base + 2 * grid + i] = (box[2] - cx) / DETECTNET_BBOX_NORM;
  bbox[base + 3 * grid + i] = (box[3] - cy) / DETECTNET_BBOX_NORM;
}

/** A plan for a W x H input with C classes and empty coverage and bbox grids at stride 16. */
function grids(W: number, H: number, C: number, file: string) {
  const plan = detectnetV2.resolve(io(W, H, C), file);
  const gw = W / 16;
  const gh = H / 16;
  return { plan, gw, gh, cov: new Float32Array(C * gw * gh), bbox: new Float32Array(4 * C * gw * gh) };
}

describe('detectnet_v2 family', () => {
  it('#resolve: PeopleNet layout 960x544, RGB /255, resize, free batch, 3 labels', () => {
    const plan = detectnetV2.resolve(io(960, 544, 3), 'peoplenet.onnx');
    assert.equal(plan.preprocess.channelOrder, 'rgb');
    assert.equal(plan.preprocess.mode, 'resize');
    assert.ok(plan.maxBatch > 1);
    assert.deepEqual([...plan.defaultLabels], ['person', 'bag', 'face']);
    assert.deepEqual([...plan.outputNames], ['output_cov/Sigmoid', 'output_bbox/BiasAdd']);
  });

  it('#resolve tells coverage from bbox by channel count when names say nothing', () => {
    const plan = detectnetV2.resolve(io(640, 384, 2, ['b_out', 'a_out']), 'x.onnx');
    assert.deepEqual([...plan.outputNames], ['b_out', 'a_out']);
    const swapped = io(640, 384, 2, ['a', 'b']);
    swapped.outputs.reverse();
    assert.deepEqual([...detectnetV2.resolve(swapped, 'x.onnx').outputNames], ['a', 'b']);
  });

  it('#resolve needs inputSize for a free input size, and rejects a non stride-16 grid', () => {
    const free = { inputs: [{ name: 'in', shape: ['b', 3, 'h', 'w'] }], outputs: io(64, 32, 1).outputs.map((o) => ({ ...o, shape: [o.shape[0], o.shape[1], 'gh', 'gw'] })) };
    assert.throws(() => detectnetV2.resolve(free, 'free.onnx'), /inputSize/);
    assert.equal(detectnetV2.resolve(free, 'free.onnx', { inputSize: [64, 32] }).preprocess.width, 64);
    const bad = io(960, 544, 3);
    bad.outputs[0].shape[2] = 17;
    assert.throws(() => detectnetV2.resolve(bad, 'bad.onnx'), (e: unknown) => e instanceof ModelError && /bad\.onnx/.test(e.message) && /stride-16/.test(e.message));
    assert.throws(() => detectnetV2.resolve({ inputs: io(64, 32, 1).inputs, outputs: [{ name: 'o', shape: [1, 85, 2, 4] }] }, 'one.onnx'), /expected 2 outputs/);
  });

  it('#decode applies bbox norm 35, offset 0.5 and stride 16 per class', () => {
    const W = 64;
    const H = 32;
    const C = 2;
    const { plan, gw, gh, cov, bbox } = grids(W, H, C, 't.onnx');
    encode(cov, bbox, C, gw, gh, 1, 2, 1, [20.5, 6.5, 50.5, 30.5], 0.9);
    encode(cov, bbox, C, gw, gh, 0, 0, 0, [1, 1, 9, 9], 0.2);
    // Raw values as DeepStream's parser would read them: x1 = (o - (gx*16+0.5)/35) * -35.
    const gcx = (2 * 16 + 0.5) / 35;
    assert.ok(Math.abs((bbox[4 * gw * gh + 6] - gcx) * -35 - 20.5) < 1e-4);
    const outs = { 'output_cov/Sigmoid': { data: cov, dims: [1, C, gh, gw] }, 'output_bbox/BiasAdd': { data: bbox, dims: [1, 4 * C, gh, gw] } };
    const got = plan.decode(outs, 0, 0.5);
    assert.equal(got.length, 1);
    assert.equal(got[0].classId, 1);
    assert.ok(Math.abs(got[0].score - 0.9) < 1e-6);
    [got[0].x1, got[0].y1, got[0].x2, got[0].y2].forEach((v, i) => assert.ok(Math.abs(v - [20.5, 6.5, 50.5, 30.5][i]) < 1e-4, `${v}`));
    assert.equal(plan.decode(outs, 0, 0.1).length, 2);
  });

  it('clusters neighbouring cells of one object into one detection (NMS) and reads image b of a batch', () => {
    const W = 960;
    const H = 544;
    const C = 3;
    const plan = detectnetV2.resolve(io(W, H, C), 'peoplenet.onnx');
    const gw = 60;
    const gh = 34;
    const n = C * gw * gh;
    const cov = new Float32Array(2 * n);
    const bbox = new Float32Array(2 * 4 * n);
    // A person at input px [300, 100, 380, 400] covers several cells in image 1; each cell predicts it.
    for (const [gx, gy, s] of [[21, 15, 0.9], [21, 16, 0.8], [22, 15, 0.85], [22, 16, 0.7]]) {
      encode(cov, bbox, C, gw, gh, 0, gx, gy, [300 + gx - 21, 100, 380, 400 + gy - 15], s, 1);
    }
    const outs = { 'output_cov/Sigmoid': { data: cov, dims: [2, C, gh, gw] }, 'output_bbox/BiasAdd': { data: bbox, dims: [2, 4 * C, gh, gw] } };
    assert.equal(plan.decode(outs, 0, 0.3).length, 0);
    const opts = { labels: plan.defaultLabels, scoreThreshold: 0.3, classThresholds: {}, nmsIou: 0.5 };
    const filter = compileFilter(opts, C);
    const t = frameTransform(1920, 1080, plan.preprocess);
    const dets = postprocess(plan.decode(outs, 1, filter.minScore), filter, opts, t);
    assert.equal(dets.length, 1);
    assert.equal(dets[0].label, 'person');
    assert.equal(dets[0].score, 0.9);
    [300 / 960, 100 / 544, 380 / 960, 400 / 544].forEach((v, i) => assert.ok(Math.abs(dets[0].box[i] - v) < 1e-4));
  });

  it("clusters the cells of one object with DeepStream's DBSCAN: one box, confidence-weighted, scored with the best cell", () => {
    const W = 960;
    const H = 544;
    const C = 3;
    const { plan, gw, gh, cov, bbox } = grids(W, H, C, 'peoplenet.onnx');
    const cells = [[21, 15, 0.9], [21, 16, 0.8], [22, 15, 0.85], [22, 16, 0.7]];
    for (const [gx, gy, s] of cells) {
      encode(cov, bbox, C, gw, gh, 0, gx, gy, [300 + gx - 21, 100, 380, 400 + gy - 15], s);
    }
    // A lone cell elsewhere: NMS keeps it, DBSCAN (minBoxes 3) drops it.
    encode(cov, bbox, C, gw, gh, 0, 50, 5, [790, 70, 830, 110], 0.95);
    const outs = { 'output_cov/Sigmoid': { data: cov, dims: [1, C, gh, gw] }, 'output_bbox/BiasAdd': { data: bbox, dims: [1, 4 * C, gh, gw] } };
    const t = frameTransform(W, H, plan.preprocess);
    const nmsOpts = { labels: plan.defaultLabels, scoreThreshold: 0.3, classThresholds: {}, nmsIou: 0.5 };
    const nmsFilter = compileFilter(nmsOpts, C);
    assert.equal(postprocess(plan.decode(outs, 0, nmsFilter.minScore), nmsFilter, nmsOpts, t).length, 2);
    const opts = { ...nmsOpts, cluster: { mode: 'dbscan' as const, eps: 0.7, minBoxes: 3, minScore: 0 } };
    const filter = compileFilter(opts, C);
    const dets = postprocess(plan.decode(outs, 0, filter.minScore), filter, opts, t);
    assert.equal(dets.length, 1);
    assert.equal(dets[0].score, 0.9);
    // Weighted by coverage: x1 = (0.9·300 + 0.8·300 + 0.85·301 + 0.7·301) / 3.25, x2 = 380, y2 = 400 + 1.5 / 3.25.
    const total = 0.9 + 0.8 + 0.85 + 0.7;
    const expected = [(300 + 1.55 / total) / W, 100 / H, 380 / W, (400 + 1.5 / total) / H];
    expected.forEach((v, i) => assert.ok(Math.abs(dets[0].box[i] - v) < 1e-5, `box[${i}] ${dets[0].box[i]} vs ${v}`));
    // The unweighted mean would put y2 at 400.5 / 544, 7e-5 away: the tolerance above tells them apart.
    assert.ok(Math.abs(dets[0].box[3] - 400.5 / H) > 5e-5);
  });
});
