import assert from 'node:assert/strict';
import { euclidean, FaceIndex } from '../../src/faces/matcher';

const vec = (...head: number[]): number[] => [...head, ...new Array(128 - head.length).fill(0)];

describe('faces/matcher', () => {
  it('#euclidean', () => {
    assert.equal(euclidean([0, 0], [3, 4]), 5);
  });

  describe('FaceIndex', () => {
    it('matches the identity with the nearest embedding, under the threshold only', () => {
      const idx = new FaceIndex();
      idx.replaceAll([
        { id: 'a', name: 'Ann', embeddings: [vec(1), vec(0, 1)], createdAt: '' },
        { id: 'b', name: 'Bob', embeddings: [vec(-1)], createdAt: '' },
      ]);
      assert.equal(idx.size, 2);
      assert.deepEqual(idx.match(vec(0, 0.8), 0.6), { identity: 'a', name: 'Ann', distance: euclidean(vec(0, 0.8), vec(0, 1)) });
      assert.equal(idx.match(vec(-0.5), 0.4), undefined, 'nearest is Bob at 0.5, above the threshold');
      assert.equal(idx.nearest(vec(-0.5))!.identity, 'b');
    });

    it('#set replaces, #delete removes', () => {
      const idx = new FaceIndex();
      idx.set({ id: 'a', name: 'Ann', embeddings: [vec(1)], createdAt: '' });
      idx.set({ id: 'a', name: 'Anne', embeddings: [vec(2)], createdAt: '' });
      assert.equal(idx.nearest(vec(2))!.name, 'Anne');
      assert.equal(idx.nearest(vec(2))!.distance, 0);
      idx.delete('a');
      assert.equal(idx.nearest(vec(2)), undefined);
    });
  });
});
