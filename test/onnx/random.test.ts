import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/onnx';

describe('SeededRandom', () => {
  it('repeats a sequence for one seed and differs for another', () => {
    const a = new SeededRandom(7).normals(50);
    const b = new SeededRandom(7).normals(50);
    const c = new SeededRandom(8).normals(50);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it('draws normals with about the requested mean and spread', () => {
    const v = new SeededRandom(1).normals(20000, 2, 1);
    const mean = v.reduce((s, x) => s + x, 0) / v.length;
    const sd = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
    assert.ok(Math.abs(mean - 1) < 0.05, `mean ${mean}`);
    assert.ok(Math.abs(sd - 2) < 0.05, `sd ${sd}`);
  });
});
