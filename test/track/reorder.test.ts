import assert from 'node:assert/strict';
import { ReorderBuffer } from '../../src/track/reorder';

const it_ = (seq: number) => ({ seq });

describe('ReorderBuffer', () => {
  it('#push restores seq order of out-of-order results', () => {
    const r = new ReorderBuffer<{ seq: number }>({ window: 4, maxWaitMs: 1000 });
    const out: number[] = [];
    r.resumeAfter(0);
    for (const s of [2, 1, 4, 3, 5, 7, 6]) {
      out.push(...r.push(it_(s), 0).map((x) => x.seq));
    }
    assert.deepEqual(out, [1, 2, 3, 4, 5, 6, 7]);
    assert.equal(r.late, 0);
  });
  it('#push drops and counts late frames', () => {
    const r = new ReorderBuffer<{ seq: number }>({ window: 1, maxWaitMs: 1000 });
    r.resumeAfter(0);
    const out: number[] = [];
    for (const s of [1, 3, 4, 2, 5]) {
      out.push(...r.push(it_(s), 0).map((x) => x.seq));
    }
    assert.deepEqual(out, [1, 3, 4, 5]);
    assert.equal(r.late, 1);
  });
  it('#poll skips a gap (a frame dropped upstream) after maxWaitMs', () => {
    const r = new ReorderBuffer<{ seq: number }>({ window: 8, maxWaitMs: 300 });
    r.resumeAfter(10);
    assert.deepEqual(r.push(it_(12), 1000), []);
    assert.deepEqual(r.poll(1200), []);
    assert.deepEqual(
      r.poll(1300).map((x) => x.seq),
      [12],
    );
    assert.deepEqual(
      r.push(it_(13), 1301).map((x) => x.seq),
      [13],
    );
  });
  it('#flush releases everything in order', () => {
    const r = new ReorderBuffer<{ seq: number }>({ window: 8, maxWaitMs: 1000 });
    r.resumeAfter(0);
    r.push(it_(5), 0);
    r.push(it_(3), 0);
    assert.deepEqual(
      r.flush().map((x) => x.seq),
      [3, 5],
    );
    assert.equal(r.lastSeq, 5);
  });
  it('#push restarts when the sequence restarts far behind (new ingest owner), instead of dropping everything', () => {
    const r = new ReorderBuffer<{ seq: number }>({ window: 2, maxWaitMs: 1000, restartGap: 100 });
    r.resumeAfter(5000);
    assert.deepEqual(
      r.push(it_(5001), 0).map((x) => x.seq),
      [5001],
    );
    assert.deepEqual(r.push(it_(4990), 0), [], 'slightly behind: late');
    assert.equal(r.late, 1);
    assert.deepEqual(
      r.push(it_(10), 0).map((x) => x.seq),
      [10],
    );
    assert.deepEqual(
      r.push(it_(11), 0).map((x) => x.seq),
      [11],
    );
  });
});
