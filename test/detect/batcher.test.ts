import assert from 'node:assert/strict';
import { Batcher } from '../../src/detect/batcher';

/** Fake timers: fire() runs the pending timer. */
function fakeTimers() {
  let pending: (() => void) | undefined;
  let lastMs = -1;
  return {
    setTimer: (fn: () => void, ms: number) => {
      pending = fn;
      lastMs = ms;
      return 1;
    },
    clearTimer: () => {
      pending = undefined;
    },
    fire: () => {
      const f = pending;
      pending = undefined;
      f?.();
    },
    get armed() {
      return pending !== undefined;
    },
    get lastMs() {
      return lastMs;
    },
  };
}

describe('Batcher', () => {
  it('#ctor rejects a batch size below 1', () => {
    assert.throws(() => new Batcher({ maxSize: 0, maxWaitMs: 5, run: async (x: number[]) => x }), RangeError);
  });

  it('flushes as soon as maxSize items are waiting', async () => {
    const batches: number[][] = [];
    const t = fakeTimers();
    const b = new Batcher<number, number>({ maxSize: 3, maxWaitMs: 50, run: async (x) => (batches.push(x), x.map((v) => v * 2)), ...t });
    const r = await Promise.all([b.submit(1), b.submit(2), b.submit(3)]);
    assert.deepEqual(r, [2, 4, 6]);
    assert.deepEqual(batches, [[1, 2, 3]]);
    assert.equal(t.armed, false);
  });

  it('flushes a partial batch when the wait expires', async () => {
    const batches: number[][] = [];
    const t = fakeTimers();
    const b = new Batcher<number, number>({ maxSize: 4, maxWaitMs: 7, run: async (x) => (batches.push(x), x), ...t });
    const p = Promise.all([b.submit(1), b.submit(2)]);
    assert.equal(b.size, 2);
    assert.equal(t.lastMs, 7);
    assert.deepEqual(batches, []);
    t.fire();
    assert.deepEqual(await p, [1, 2]);
    assert.deepEqual(batches, [[1, 2]]);
  });

  it('runs every item alone with maxSize 1 (fixed-batch models)', async () => {
    const batches: number[][] = [];
    const b = new Batcher<number, number>({ maxSize: 1, maxWaitMs: 100, run: async (x) => (batches.push(x), x) });
    await Promise.all([b.submit(1), b.submit(2)]);
    assert.deepEqual(batches, [[1], [2]]);
  });

  it('rejects every item of a failed batch, and of a batch answering the wrong count', async () => {
    const b = new Batcher<number, number>({ maxSize: 2, maxWaitMs: 0, run: async () => { throw new Error('boom'); } });
    await assert.rejects(b.submit(1), /boom/);
    const short = new Batcher<number, number>({ maxSize: 2, maxWaitMs: 1, run: async () => [] });
    await assert.rejects(short.submit(1), /answered 0 results/);
  });

  it('uses a real timer by default', async () => {
    const b = new Batcher<number, number>({ maxSize: 8, maxWaitMs: 5, run: async (x) => x });
    assert.equal(await b.submit(9), 9);
  });
});
