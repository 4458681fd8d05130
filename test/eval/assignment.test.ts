import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { linearSumAssignment, matrix } from '../../src/eval/metrics/assignment';

function fromRows(rows: number[][]) {
  const m = matrix(rows.length, rows[0]?.length ?? 0);
  rows.forEach((row, i) => row.forEach((x, j) => (m.data[i * m.cols + j] = x)));
  return m;
}

describe('eval linearSumAssignment', () => {
  it('finds the optimum where greedy would not', () => {
    assert.deepEqual(linearSumAssignment(fromRows([[1, 2], [3, 10]])), { rows: [0, 1], cols: [1, 0] });
    assert.deepEqual(linearSumAssignment(fromRows([[1, 2], [3, 10]]), true), { rows: [0, 1], cols: [0, 1] });
  });
  it('assigns every row of a wide matrix and every column of a tall one, sorted by row', () => {
    assert.deepEqual(linearSumAssignment(fromRows([[5, 1, 9]])), { rows: [0], cols: [1] });
    assert.deepEqual(linearSumAssignment(fromRows([[5], [1], [9]])), { rows: [1], cols: [0] });
    assert.deepEqual(linearSumAssignment(matrix(0, 3)), { rows: [], cols: [] });
  });
  it('rejects NaN and matrices with no finite complete assignment', () => {
    assert.throws(() => linearSumAssignment(fromRows([[NaN]])), /NaN/);
    assert.throws(() => linearSumAssignment(fromRows([[Infinity, Infinity]])), /no complete assignment/);
  });
  it('picks the same optimum as SciPy on random matrices, ties included (test/fixtures/eval/scipy)', () => {
    const file = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'eval', 'scipy', 'lsa-cases.json'), 'utf8')) as {
      cases: Array<{ cost: number[][]; maximize: boolean; rows: number[]; cols: number[] }>;
    };
    assert.equal(file.cases.length, 60);
    for (const c of file.cases) {
      assert.deepEqual(linearSumAssignment(fromRows(c.cost), c.maximize), { rows: c.rows, cols: c.cols }, JSON.stringify(c.cost));
    }
  });
});
