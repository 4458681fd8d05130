import assert from 'node:assert/strict';
import { decodeWeights, loadFaceApiWeights, WeightMap } from '../../../src/models/face-api/weights';
import { ModelError } from '../../../src/core/errors';

describe('decodeWeights', () => {
  it('dequantises uint8 as q*scale+min, reads float32 and quantised int32, in manifest order', () => {
    const bytes = new Uint8Array(2 + 4 + 1);
    bytes.set([0, 255], 0);
    new DataView(bytes.buffer).setFloat32(2, 1.5, true);
    bytes[6] = 3;
    const m = decodeWeights(
      [
        { name: 'q', shape: [2], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.01, min: -1 } },
        { name: 'f', shape: [1], dtype: 'float32' },
        { name: 'i', shape: [], dtype: 'int32', quantization: { dtype: 'uint8', scale: 1, min: 5115 } },
      ],
      bytes,
    );
    assert.deepEqual(Array.from(m.get('q')?.data ?? []), [Math.fround(-1), Math.fround(255 * 0.01 - 1)]);
    assert.deepEqual(Array.from(m.get('f')?.data ?? []), [1.5]);
    assert.deepEqual(Array.from(m.get('i')?.data ?? []), [5118]);
  });

  it('fails with a ModelError when the data is too short', () => {
    assert.throws(
      () => decodeWeights([{ name: 'f', shape: [4], dtype: 'float32' }], new Uint8Array(8)),
      (e: unknown) => e instanceof ModelError && e.code === 'model_invalid',
    );
  });
});

describe('loadFaceApiWeights', () => {
  it("reads the installed package's recognition weights with their shapes", async () => {
    const w = await loadFaceApiWeights('face_recognition_model');
    assert.deepEqual(w.get('conv32_down/conv/filters', [7, 7, 3, 32]).shape, [7, 7, 3, 32]);
    assert.equal(w.get('fc').data.length, 256 * 128);
    assert.throws(() => w.get('fc', [128, 256]), ModelError);
    assert.throws(() => w.get('nope'), ModelError);
  });

  it('fails with a ModelError for a folder without the files', async () => {
    await assert.rejects(loadFaceApiWeights('face_recognition_model', '/nonexistent'), ModelError);
  });

  it('WeightMap lists its names', () => {
    const wm = new WeightMap('m', new Map([['a', { shape: [1], data: new Float32Array(1) }]]));
    assert.deepEqual(wm.names(), ['a']);
  });
});
