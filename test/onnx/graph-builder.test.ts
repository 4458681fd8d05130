import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { GraphBuilder, ops } from '../../src/onnx';

async function run(g: GraphBuilder, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.OnnxValueMapType> {
  const s = await ort.InferenceSession.create(g.encode(), { intraOpNumThreads: 1 });
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

describe('GraphBuilder', () => {
  describe('#encode', () => {
    it('writes opset 13, IR 8 and a free batch dimension that decode back', () => {
      const g = new GraphBuilder({ name: 't' });
      const x = g.input('x', ['N', 2]);
      g.node('Relu', [x], {}, { outputs: ['y'] });
      g.output('y', ['N', 2]);
      const m = onnx.ModelProto.decode(g.encode());
      assert.equal(Number(m.irVersion), 8);
      assert.equal(Number(m.opsetImport[0].version), 13);
      assert.equal(m.graph?.input?.[0].type?.tensorType?.shape?.dim?.[0].dimParam, 'N');
      assert.equal(Number(m.graph?.input?.[0].type?.tensorType?.shape?.dim?.[1].dimValue), 2);
    });

    it('refuses a graph without outputs and a reused value name', () => {
      const g = new GraphBuilder({ name: 't' });
      g.input('x', [1]);
      assert.throws(() => g.toModel(), /at least one input and one output/);
      assert.throws(() => g.input('x', [1]), /already used/);
    });
  });

  describe('#fresh', () => {
    it('makes unique names', () => {
      const g = new GraphBuilder({ name: 't' });
      assert.deepEqual([g.fresh('a'), g.fresh('a'), g.fresh('a')], ['a', 'a_1', 'a_2']);
    });
  });

  describe('ops in onnxruntime', () => {
    it('conv with bias, SAME_UPPER padding and stride 2 matches a hand computation', async () => {
      // 1x1x4x4 input 0..15, 2x2 kernel of ones, stride 2, SAME_UPPER: no padding needed (4/2), sums of 2x2 tiles.
      const g = new GraphBuilder({ name: 't' });
      const x = g.input('x', ['N', 1, 4, 4]);
      const y = ops.conv(g, x, {
        weight: new Float32Array([1, 1, 1, 1]),
        bias: new Float32Array([0.5]),
        dims: [1, 1, 2, 2],
        strides: [2, 2],
        padding: 'SAME_UPPER',
        name: 'c',
      });
      g.output(y, ['N', 1, 2, 2]);
      const input = Float32Array.from({ length: 16 }, (_, i) => i);
      const r = await run(g, { x: new ort.Tensor('float32', input, [1, 1, 4, 4]) });
      assert.deepEqual(Array.from(r[y].data as Float32Array), [10.5, 18.5, 42.5, 50.5]);
    });

    it('depthwise conv via group, clip (relu6), pad and concat', async () => {
      const g = new GraphBuilder({ name: 't' });
      const x = g.input('x', ['N', 2, 1, 1]);
      const d = ops.conv(g, x, { weight: new Float32Array([3, -10]), dims: [2, 1, 1, 1], group: 2, name: 'dw' });
      const c = ops.clip(g, d, 0, 6, 'relu6');
      const p = ops.pad(g, c, [0, 0, 0, 0, 0, 1, 0, 0], 0, 'padc');
      const cat = ops.concat(g, [p, p], 1, 'cat');
      g.output(cat, ['N', 6, 1, 1]);
      const r = await run(g, { x: new ort.Tensor('float32', new Float32Array([4, 1]), [1, 2, 1, 1]) });
      assert.deepEqual(Array.from(r[cat].data as Float32Array), [6, 0, 0, 6, 0, 0]);
    });

    it('dense (Gemm), reshape and slice over a batch of 2', async () => {
      const g = new GraphBuilder({ name: 't' });
      const x = g.input('x', ['N', 2]);
      const y = ops.dense(g, x, new Float32Array([1, 2, 3, 4, 5, 6]), new Float32Array([0, 0, 1]), 2, 3, 'fc');
      const s = ops.slice(g, y, [1], [3], [1], 'sl');
      const r3 = ops.reshape(g, s, [0, -1, 1], 'rs');
      g.output(r3, ['N', 2, 1]);
      const r = await run(g, { x: new ort.Tensor('float32', new Float32Array([1, 1, 2, 0]), [2, 2]) });
      // row0 [1,1]·W = [5,7,9]+[0,0,1] → [7,10]; row1 [2,0]·W = [2,4,6] → [4,7]
      assert.deepEqual(r[r3].dims, [2, 2, 1]);
      assert.deepEqual(Array.from(r[r3].data as Float32Array), [7, 10, 4, 7]);
      assert.equal(g.parameters, 9);
    });
  });
});
