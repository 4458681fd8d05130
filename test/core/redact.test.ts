import assert from 'node:assert/strict';
import { redact, redactUrl } from '../../src/core/redact';

describe('redact', () => {
  it('removes user:pass from RTSP URLs', () => {
    assert.equal(redactUrl('rtsp://admin:hunter2@10.0.0.7:554/stream1'), 'rtsp://***@10.0.0.7:554/stream1');
  });
  it('removes a user without a password', () => {
    assert.equal(redact('rtsp://admin@cam/s'), 'rtsp://***@cam/s');
  });
  it('redacts every URL inside a longer text (ffmpeg stderr)', () => {
    const out = redact('[rtsp @ 0x5] rtsp://a:b@h1/x failed; retry rtsps://c:d@h2/y');
    assert.ok(!/a:b|c:d/.test(out), out);
  });
  it('masks secret query parameters', () => {
    assert.equal(redact('http://cam/video.mjpg?user=bob&password=s3cret&res=hd'), 'http://cam/video.mjpg?user=***&password=***&res=hd');
    assert.ok(!redact('https://x/hook?token=abc').includes('abc'));
  });
  it('leaves text without credentials alone', () => {
    assert.equal(redact('rtsp://10.0.0.7/stream1 at 5 fps'), 'rtsp://10.0.0.7/stream1 at 5 fps');
  });
  it('handles passwords with special characters', () => {
    assert.ok(!redact('rtsp://admin:p%40ss!word@cam/s').includes('p%40ss'));
  });
});
