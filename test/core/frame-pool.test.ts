import assert from 'node:assert/strict';
import { FramePool, framePool, poolOf, releaseFrame } from '../../src/core/frame-pool';

describe('FramePool (frame buffers in shared memory)', () => {
  it('reuses released slots, never hands one out twice, and overflows to plain buffers', () => {
    const p = new FramePool(12, 2);
    const a = p.acquire();
    const b = p.acquire();
    assert.notEqual(a, b);
    assert.ok(a.buffer instanceof SharedArrayBuffer);
    assert.equal(a.length, 12);
    const c = p.acquire();
    assert.ok(!(c.buffer instanceof SharedArrayBuffer), 'beyond maxSlots: a plain buffer');
    assert.equal(c.length, 12);
    assert.equal(p.overflow, 1);
    p.release(c); // not a slot: ignored
    p.release(a);
    p.release(a); // twice: ignored
    assert.equal(p.available, 1);
    assert.equal(p.acquire(), a);
    assert.notEqual(p.acquire(), a, 'the second acquire does not get the same slot again');
    assert.equal(p.size, 2);
  });

  it('describes a slot for another thread, with the memory only when asked', () => {
    const p = new FramePool(4, 4);
    const a = p.acquire();
    const ref = p.slotOf(a);
    assert.deepEqual(ref, { pool: p.id, index: 0 });
    const full = p.slotOf(a, true);
    assert.equal(full?.sab, a.buffer);
    assert.equal(p.slotOf(Buffer.alloc(4)), undefined);
  });

  it('finds the process pool of a buffer and releases through it', () => {
    const p = framePool(24);
    assert.equal(framePool(24), p, 'one pool per size');
    const a = p.acquire();
    assert.equal(poolOf(a), p);
    assert.equal(poolOf(Buffer.alloc(24)), undefined);
    const before = p.available;
    releaseFrame(a);
    assert.equal(p.available, before + 1);
    releaseFrame(Buffer.alloc(24));
    releaseFrame(undefined);
    assert.equal(p.available, before + 1);
  });
});
