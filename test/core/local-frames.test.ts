import assert from 'node:assert/strict';
import { framePool } from '../../src/core/frame-pool';
import { LocalFrames, type BoundFrame, type FrameBinder } from '../../src/core/local-frames';

function binder(frames: BoundFrame[], done: string[]): FrameBinder {
  return { bind: () => frames.shift(), done: (k) => done.push(k) };
}

const frame = (key: string, pixels: Buffer): BoundFrame => ({ camera: 'c', seq: 1, capturedAt: 1, queuedAt: 1, key, width: 2, height: 2, format: 'rgb24', pixels });

describe('LocalFrames', () => {
  it('binds through the camera\'s registered binder and reports done to it', () => {
    const lf = new LocalFrames();
    const done: string[] = [];
    const b = binder([frame('k1', Buffer.alloc(12))], done);
    lf.register('c', b);
    assert.equal(lf.bind('c', 't1')?.key, 'k1');
    assert.equal(lf.bind('c', 't2'), undefined);
    assert.equal(lf.bind('other', 't3'), undefined, 'a camera not ingested here');
    lf.done('c', 'k1');
    assert.deepEqual(done, ['k1']);
    lf.unregister('c', binder([], []));
    assert.equal(lf.cameras, 1, 'only the registered binder unregisters');
    lf.unregister('c', b);
    assert.equal(lf.cameras, 0);
  });

  it('keeps pixels for the tracker until released, and gives them back to their pool', () => {
    const pool = framePool(3 * 7 * 5);
    const lf = new LocalFrames();
    const px = pool.acquire();
    const free = pool.available;
    lf.keep('k', px);
    assert.equal(lf.peek('k'), px, 'the very buffer');
    assert.equal(pool.available, free, 'still taken while kept');
    lf.release('k');
    assert.equal(lf.peek('k'), undefined);
    assert.equal(pool.available, free + 1, 'back in the pool');
    lf.release('k');
    assert.equal(pool.available, free + 1, 'released once');
  });

  it('sweeps frames nobody released after their age', () => {
    const pool = framePool(3 * 11 * 5);
    const lf = new LocalFrames();
    lf.keep('old', pool.acquire(), 1000);
    lf.keep('new', pool.acquire(), 9000);
    const before = pool.available;
    assert.equal(lf.sweep(5000, 10_000), 1);
    assert.equal(lf.peek('old'), undefined);
    assert.ok(lf.peek('new'));
    assert.equal(pool.available, before + 1);
    assert.equal(lf.keptCount, 1);
  });
});
