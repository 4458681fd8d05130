import assert from 'node:assert/strict';
import { FramePool } from '../../src/core/frame-pool';
import { LocalFrames } from '../../src/core/local-frames';

describe('LocalFrames (in-process ingest → detect hand-off)', () => {
  it('hands pixels once, calls back once on done, forgets without calling back', () => {
    const lf = new LocalFrames();
    const calls: string[] = [];
    const px = Buffer.from([1, 2, 3]);
    lf.add('a', px, () => calls.push('a'));
    lf.add('b', undefined, () => calls.push('b'));
    lf.add('c', Buffer.alloc(1), () => calls.push('c'));
    assert.equal(lf.size, 3);
    assert.equal(lf.takePixels('a'), px);
    assert.equal(lf.takePixels('a'), undefined);
    assert.equal(lf.takePixels('b'), undefined, 'registered without pixels (no detect role here)');
    assert.equal(lf.takePixels('zzz'), undefined, 'written by another process');
    lf.done('a');
    lf.done('a');
    lf.done('zzz');
    assert.deepEqual(calls, ['a']);
    lf.forget('c');
    lf.done('c');
    assert.deepEqual(calls, ['a']);
    assert.equal(lf.size, 1);
    lf.done('b');
    assert.deepEqual(calls, ['a', 'b']);
    assert.equal(lf.size, 0);
  });

  it('gives pixels nobody took back to their frame pool (forget, done), never pixels taken', () => {
    const pool = new FramePool(8, 4);
    const lf = new LocalFrames();
    const [a, b, c] = [pool.acquire(), pool.acquire(), pool.acquire()];
    lf.add('a', a, () => undefined);
    lf.add('b', b, () => undefined);
    lf.add('c', c, () => undefined);
    lf.forget('a');
    assert.equal(pool.available, 1, 'forgotten untaken pixels are released');
    lf.done('b');
    assert.equal(pool.available, 2, 'done without a take releases too');
    assert.equal(lf.takePixels('c'), c);
    lf.done('c');
    assert.equal(pool.available, 2, 'taken pixels belong to the taker');
  });
});
