import assert from 'node:assert/strict';
import { nms, type Candidate } from '../../src/detect/nms';

const c = (classId: number, score: number, x1: number, y1: number, x2: number, y2: number): Candidate => ({ classId, score, x1, y1, x2, y2 });

describe('nms', () => {
  describe('#nms', () => {
    it('keeps the best of overlapping boxes of one class and sorts by score', () => {
      const out = nms([c(0, 0.6, 1, 1, 11, 11), c(0, 0.9, 0, 0, 10, 10), c(0, 0.7, 50, 50, 60, 60)], 0.45);
      assert.deepEqual(out.map((x) => x.score), [0.9, 0.7]);
    });
    it('never suppresses across classes (a car and a truck on the same van both stay)', () => {
      const out = nms([c(2, 0.8, 0, 0, 10, 10), c(7, 0.7, 0, 0, 10, 10)], 0.45);
      assert.equal(out.length, 2);
    });
    it('keeps boxes overlapping less than the threshold', () => {
      const out = nms([c(0, 0.9, 0, 0, 10, 10), c(0, 0.8, 5, 0, 15, 10)], 0.45);
      assert.equal(out.length, 2);
      assert.equal(nms([c(0, 0.9, 0, 0, 10, 10), c(0, 0.8, 5, 0, 15, 10)], 0.3).length, 1);
    });
    it('caps the count at maxDetections', () => {
      const many = Array.from({ length: 20 }, (_, i) => c(0, i / 20, i * 20, 0, i * 20 + 10, 10));
      assert.equal(nms(many, 0.5, 5).length, 5);
    });
  });
});
