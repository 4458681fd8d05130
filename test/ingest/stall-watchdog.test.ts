import assert from 'node:assert/strict';
import { StallWatchdog, stallCheck } from '../../src/ingest/stall-watchdog';
import { fakeClock, type Clock } from '../helpers/clock';

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

describe('StallWatchdog (fake clock)', () => {
  let clock: Clock;
  beforeEach(() => {
    clock = fakeClock();
  });
  afterEach(() => clock.uninstall());

  it('calls onStall once when frames stop, not while they flow', () => {
    const hits: Array<{ firstFrame: boolean; silentMs: number }> = [];
    const w = new StallWatchdog({ stallMs: 150, checkMs: 20, onStall: (i) => hits.push(i) });
    w.arm();
    // Frames every 140 ms, just inside the limit, for 3 s.
    for (let t = 0; t < 3000; t += 140) {
      w.frame();
      clock.tick(140);
    }
    assert.deepEqual(hits, []);
    w.frame();
    clock.tick(149);
    assert.deepEqual(hits, [], 'not before the limit');
    clock.tick(20);
    assert.equal(hits.length, 1, 'within one check of the limit');
    const [hit] = hits as Array<{ firstFrame: boolean; silentMs: number }>;
    assert.equal(hit.firstFrame, false);
    assert.ok(hit.silentMs >= 150 && hit.silentMs < 170, `silent ${hit.silentMs} ms`);
    assert.equal(w.armed, false);
    clock.tick(10_000);
    assert.equal(hits.length, 1, 'once per armed period');
  });

  it('gives a new run firstFrameMs (default 2 x stallMs) for its first frame', () => {
    const hits: Array<{ firstFrame: boolean; silentMs: number }> = [];
    const w = new StallWatchdog({ stallMs: 100, checkMs: 10, onStall: (i) => hits.push(i) });
    w.arm();
    clock.tick(190);
    assert.deepEqual(hits, []);
    clock.tick(10);
    assert.deepEqual(hits, [{ firstFrame: true, silentMs: 200 }]);
  });

  it('does not fire while held (backpressure) and counts the silence from the release', () => {
    const hits: boolean[] = [];
    const w = new StallWatchdog({ stallMs: 100, checkMs: 10, onStall: (i) => hits.push(i.firstFrame) });
    w.arm();
    w.frame();
    w.hold();
    clock.tick(5000);
    assert.deepEqual(hits, [], 'paused on purpose: no stall');
    w.release();
    clock.tick(90);
    assert.deepEqual(hits, [], 'the limit counts from the release');
    clock.tick(10);
    assert.deepEqual(hits, [false], 'silence after the release is a stall');
  });

  it('disarm stops the checks', () => {
    const hits: boolean[] = [];
    const w = new StallWatchdog({ stallMs: 100, checkMs: 10, onStall: (i) => hits.push(i.firstFrame) });
    w.arm();
    w.disarm();
    clock.tick(10_000);
    assert.deepEqual(hits, []);
    assert.equal(w.armed, false);
  });

  it('rejects a bad stallMs', () => {
    assert.throws(() => new StallWatchdog({ stallMs: 0, onStall: () => undefined }), TypeError);
  });
});
