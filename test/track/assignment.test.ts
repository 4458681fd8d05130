import assert from 'node:assert/strict';
import { assign } from '../../src/track/assignment';

describe('assign', () => {
  it('finds the optimum where greedy would not', () => {
    // Greedy takes (0,0)=1 then (1,1)=10 (total 11); the optimum is (0,1)+(1,0) = 2+3 = 5.
    const r = assign(
      [
        [1, 2],
        [3, 10],
      ],
      100,
    );
    assert.deepEqual(r.matches, [
      [0, 1],
      [1, 0],
    ]);
  });
  it('handles rectangles, forbidden pairs and the cost threshold', () => {
    const r = assign(
      [
        [0.1, Infinity, 0.9],
        [Infinity, 0.2, 0.3],
      ],
      0.5,
    );
    assert.deepEqual(r.matches, [
      [0, 0],
      [1, 1],
    ]);
    assert.deepEqual(r.unmatchedCols, [2]);
    const t = assign([[0.9], [0.1], [0.6]], 0.5);
    assert.deepEqual(t.matches, [[1, 0]]);
    assert.deepEqual(t.unmatchedRows, [0, 2]);
    assert.deepEqual(assign([], 1), { matches: [], unmatchedRows: [], unmatchedCols: [] });
  });
});
