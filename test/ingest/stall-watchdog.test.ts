import assert from 'node:assert/strict';
import { StallWatchdog, stallCheck } from '../../src/ingest/stall-watchdog';

describe('stallCheck', () => {
  it('fires after stallMs without a frame while streaming', () => {
    assert.equal(stallCheck(10_000, 0, 6_000, 5_000, 10_000), undefined);
    assert.deepEqual(stallCheck(11_000, 0, 6_000, 5_000, 10_000), { firstFrame: false, silentMs: 5_000 });
  });
  it('gives a new run firstFrameMs for its first frame', () => {
    assert.equal(stallCheck(9_000, 0, undefined, 5_000, 10_000), undefined);
    assert.deepEqual(stallCheck(10_000, 0, undefined, 5_000, 10_000), { firstFrame: true, silentMs: 10_000 });
  });
});

describe('StallWatchdog', () => {
  it('calls onStall once when frames stop, not while they flow', async () => {
    const hits: boolean[] = [];
    const w = new StallWatchdog({ stallMs: 150, checkMs: 20, onStall: (i) => hits.push(i.firstFrame) });
    w.arm();
    for (let i = 0; i < 6; i++) {
      w.frame();
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(hits, []);
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual(hits, [false]);
    assert.equal(w.armed, false);
  });
  it('does not fire while held (backpressure) and counts the silence from the release', async () => {
    const hits: boolean[] = [];
    const w = new StallWatchdog({ stallMs: 100, checkMs: 10, onStall: (i) => hits.push(i.firstFrame) });
    w.arm();
    w.frame();
    w.hold();
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(hits, [], 'paused on purpose: no stall');
    w.release();
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(hits, [], 'the limit counts from the release');
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(hits, [false], 'silence after the release is a stall');
  });
  it('rejects a bad stallMs', () => {
    assert.throws(() => new StallWatchdog({ stallMs: 0, onStall: () => undefined }), TypeError);
  });
});
