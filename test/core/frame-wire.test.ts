import assert from 'node:assert/strict';
import { decodeFrameReply, encodeFrameReply, MAX_RELEASE, parsePixelRequest } from '../../src/core/frame-wire';

describe('frame wire', () => {
  it('parses pixel requests: get and release', () => {
    assert.deepEqual(parsePixelRequest(JSON.stringify({ get: 'p:frame:c:1', req: '7', from: 'host-1' })), { get: 'p:frame:c:1', req: '7', from: 'host-1' });
    assert.deepEqual(parsePixelRequest(JSON.stringify({ release: ['a', 'b'] })), { release: ['a', 'b'] });
    assert.deepEqual(parsePixelRequest(JSON.stringify({ release: [] })), { release: [] });
  });

  it('refuses anything else', () => {
    for (const raw of [
      'not json',
      'null',
      '42',
      JSON.stringify({}),
      JSON.stringify({ get: 'k', req: '1' }),
      JSON.stringify({ get: '', req: '1', from: 'x' }),
      JSON.stringify({ get: 'k', req: 1, from: 'x' }),
      JSON.stringify({ get: 'x'.repeat(257), req: '1', from: 'x' }),
      JSON.stringify({ release: 'k' }),
      JSON.stringify({ release: ['k', 3] }),
      JSON.stringify({ release: Array.from({ length: MAX_RELEASE + 1 }, (_, i) => `k${i}`) }),
    ]) {
      assert.equal(parsePixelRequest(raw), undefined, raw.slice(0, 60));
    }
  });

  it('answers with the frame and its pixels in one buffer, or with none', () => {
    const frame = { camera: 'c', seq: 3, capturedAt: 1, queuedAt: 2, key: 'p:frame:c:3', width: 2, height: 1, format: 'rgb24' as const };
    const px = Buffer.from([1, 2, 3, 4, 5, 6]);
    const r = decodeFrameReply(encodeFrameReply('9', frame, px));
    assert.equal(r?.req, '9');
    assert.deepEqual(r?.frame, frame);
    assert.deepEqual(r?.pixels, px);
    assert.deepEqual(decodeFrameReply(encodeFrameReply('10')), { req: '10' });
    assert.equal(decodeFrameReply(encodeFrameReply('9', frame, px.subarray(0, 5))), undefined, 'pixels of the wrong size');
    assert.equal(decodeFrameReply(Buffer.from([1, 0])), undefined);
  });
});
