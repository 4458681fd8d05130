import assert from 'node:assert/strict';
import { decodeLiveFrame, encodeLiveFrame } from '../../src/core/live-frame';
import { parseLiveSubscribe } from '../../src/ws/live';

describe('live frame envelope', () => {
  it('round-trips camera, capture time, seq, size and the JPEG bytes', () => {
    const jpeg = Buffer.from([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]);
    const b = encodeLiveFrame({ camera: 'front-door_2', capturedAt: 1_764_000_000_123.5, seq: 4_000_000_001, width: 640, height: 360, jpeg });
    const f = decodeLiveFrame(b)!;
    assert.deepEqual({ ...f, jpeg: [...f.jpeg] }, { camera: 'front-door_2', capturedAt: 1_764_000_000_123.5, seq: 4_000_000_001, width: 640, height: 360, jpeg: [...jpeg] });
    assert.equal(f.jpeg.buffer, b.buffer, 'the JPEG is a view, not a copy');
  });

  it('refuses what is not an envelope', () => {
    assert.equal(decodeLiveFrame(Buffer.from('hello')), undefined);
    const b = encodeLiveFrame({ camera: 'a', capturedAt: 1, seq: 1, width: 1, height: 1, jpeg: Buffer.alloc(0) });
    assert.ok(decodeLiveFrame(b));
    assert.equal(decodeLiveFrame(b.subarray(0, b.length - 1)), undefined, 'truncated');
    b[0] = 2;
    assert.equal(decodeLiveFrame(b), undefined, 'unknown version');
    assert.throws(() => encodeLiveFrame({ camera: '', capturedAt: 1, seq: 1, width: 1, height: 1, jpeg: Buffer.alloc(0) }), /camera id/);
  });
});

describe('live subscribe message', () => {
  it('accepts a list of camera ids (deduplicated)', () => {
    assert.deepEqual(parseLiveSubscribe('{"type":"subscribe","cameras":["a","b","a"]}'), { cameras: ['a', 'b'] });
    assert.deepEqual(parseLiveSubscribe('{"type":"subscribe","cameras":[]}'), { cameras: [] });
  });

  it('names what is wrong', () => {
    assert.match((parseLiveSubscribe('nope') as { error: string }).error, /not valid JSON/);
    assert.match((parseLiveSubscribe('{"type":"hello"}') as { error: string }).error, /only \{"type":"subscribe"/);
    assert.match((parseLiveSubscribe('{"type":"subscribe","cameras":["A!"]}') as { error: string }).error, /cameras: must be/);
    assert.match((parseLiveSubscribe('{"type":"subscribe","cameras":["a"],"x":1}') as { error: string }).error, /unknown field "x"/);
    const many = JSON.stringify({ type: 'subscribe', cameras: Array.from({ length: 65 }, (_, i) => `c${i}`) });
    assert.match((parseLiveSubscribe(many) as { error: string }).error, /at most 64/);
  });
});
