import assert from 'node:assert/strict';
import { framePool } from '../../src/core/frame-pool';
import { HeldFrames } from '../../src/core/held-frames';
import type { BoundFrame } from '../../src/core/local-frames';

const frame = (camera: string, seq: number, pixels: Buffer): BoundFrame => ({
  camera,
  seq,
  capturedAt: 1,
  queuedAt: 1,
  key: `f:${camera}:${seq}`,
  width: 2,
  height: 2,
  format: 'rgb24',
  pixels,
});

describe('HeldFrames', () => {
  it('holds a frame until its tracker releases it, then gives the slot back to its pool once', () => {
    const pool = framePool(3 * 13 * 7);
    const held = new HeldFrames(() => 10);
    const px = pool.acquire();
    const free = pool.available;
    held.hold(frame('a', 1, px));
    assert.equal(held.get('f:a:1')?.pixels, px, 'the very buffer, with its frame');
    assert.equal(held.get('f:a:1')?.seq, 1);
    assert.equal(held.size, 1);
    assert.equal(pool.available, free, 'still taken while held');
    assert.equal(held.release('f:a:1'), true);
    assert.equal(held.get('f:a:1'), undefined);
    assert.equal(pool.available, free + 1, 'back in the pool');
    assert.equal(held.release('f:a:1'), false, 'released once');
    assert.equal(pool.available, free + 1);
    assert.equal(held.size, 0);
    assert.equal(held.evicted, 0, 'a release is not an eviction');
  });

  it('keeps at most perCamera frames of each camera (the oldest goes first), other cameras untouched', () => {
    const pool = framePool(3 * 17 * 7);
    const held = new HeldFrames((camera) => (camera === 'a' ? 2 : 5));
    const free0 = pool.available;
    held.hold(frame('b', 1, pool.acquire()));
    assert.equal(held.hold(frame('a', 1, pool.acquire())), 0);
    assert.equal(held.hold(frame('a', 2, pool.acquire())), 0);
    assert.equal(held.hold(frame('a', 3, pool.acquire())), 1, 'one evicted');
    assert.equal(held.get('f:a:1'), undefined, 'the oldest');
    assert.ok(held.get('f:a:2') && held.get('f:a:3') && held.get('f:b:1'));
    assert.equal(held.size, 3);
    assert.equal(held.evicted, 1);
    assert.equal(held.clear(), 3);
    assert.equal(held.size, 0);
    assert.equal(pool.available, Math.max(free0, 4), 'every slot given back');
  });

  it('treats a bad bound as 1 and holding the same key again as a replacement', () => {
    const held = new HeldFrames(() => Number.NaN);
    held.hold(frame('a', 1, Buffer.alloc(12)));
    held.hold(frame('a', 2, Buffer.alloc(12)));
    assert.equal(held.size, 1);
    assert.ok(held.get('f:a:2'));
    const again = Buffer.alloc(12, 7);
    held.hold(frame('a', 2, again));
    assert.equal(held.size, 1);
    assert.equal(held.get('f:a:2')?.pixels, again);
  });

  it('sweeps frames older than their camera\'s age limit, and counts them as evicted', () => {
    const held = new HeldFrames(() => 10);
    held.hold(frame('a', 1, Buffer.alloc(12)), 1000);
    held.hold(frame('a', 2, Buffer.alloc(12)), 9000);
    held.hold(frame('b', 1, Buffer.alloc(12)), 1000);
    assert.equal(held.sweep((camera) => (camera === 'a' ? 5000 : 60_000), 10_000), 1);
    assert.equal(held.get('f:a:1'), undefined);
    assert.ok(held.get('f:a:2'));
    assert.ok(held.get('f:b:1'), 'camera b keeps its frames longer');
    assert.equal(held.sweep(500, 10_000), 2);
    assert.equal(held.size, 0);
    assert.equal(held.evicted, 3);
  });
});
