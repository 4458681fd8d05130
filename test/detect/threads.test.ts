import assert from 'node:assert/strict';
import { planThreads } from '../../src/detect/threads';

describe('planThreads', () => {
  it('never plans more threads than cores', () => {
    for (const cores of [1, 2, 3, 4, 8, 16, 64]) {
      const p = planThreads(cores);
      assert.ok(p.workers * p.threadsPerWorker <= cores, `${cores}: ${JSON.stringify(p)}`);
      assert.ok(p.workers >= 1 && p.threadsPerWorker >= 1);
    }
  });
  it('gives 2 single-thread workers on 2 cores and 4x4 on 16', () => {
    assert.deepEqual(planThreads(2), { workers: 2, threadsPerWorker: 1 });
    assert.deepEqual(planThreads(16), { workers: 4, threadsPerWorker: 4 });
  });
  it('fills in the free number from the given one', () => {
    assert.deepEqual(planThreads(8, 2), { workers: 2, threadsPerWorker: 4 });
    assert.deepEqual(planThreads(8, 0, 8), { workers: 1, threadsPerWorker: 8 });
    assert.deepEqual(planThreads(2, 1, 2), { workers: 1, threadsPerWorker: 2 });
  });
});
