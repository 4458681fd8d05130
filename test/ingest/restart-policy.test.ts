import assert from 'node:assert/strict';
import { classifyExit, RestartPolicy } from '../../src/ingest/restart-policy';

describe('RestartPolicy', () => {
  it('retries the first time within 1 s', () => {
    for (const r of [0, 0.5, 0.999]) {
      const d = new RestartPolicy({ random: () => r }).nextDelay(0);
      assert.ok(d >= 100 && d <= 1000, String(d));
    }
  });
  it('grows exponentially with full jitter up to the 60 s cap', () => {
    const p = new RestartPolicy({ random: () => 0.999999 });
    const delays = Array.from({ length: 10 }, () => p.nextDelay(0));
    assert.deepEqual(delays.slice(0, 6), [1000, 2000, 4000, 8000, 16000, 32000]);
    assert.ok(delays.slice(6).every((d) => d === 60000), String(delays));
    const low = new RestartPolicy({ random: () => 0 });
    assert.ok(Array.from({ length: 8 }, () => low.nextDelay(0)).every((d) => d === 100), 'full jitter reaches the floor');
  });
  it('resets after a stable period of streaming', () => {
    const p = new RestartPolicy({ random: () => 0.999999, stableMs: 30_000 });
    for (let i = 0; i < 5; i++) {
      p.nextDelay(0);
    }
    p.streaming(1000);
    assert.equal(p.nextDelay(20_000), 32000, 'a short run does not reset');
    p.streaming(100_000);
    assert.equal(p.nextDelay(131_000), 1000, 'a stable run resets');
  });
  it('retries failed cameras slowly', () => {
    const p = new RestartPolicy({ random: () => 0.5, failedRetryMs: 60_000 });
    const d = p.nextDelay(0, true);
    assert.ok(d >= 30_000 && d <= 60_000, String(d));
  });
  it('rejects bad options', () => {
    assert.throws(() => new RestartPolicy({ capMs: 0 }), TypeError);
    assert.throws(() => new RestartPolicy({ baseMs: 5000, capMs: 1000 }), TypeError);
  });
});

describe('classifyExit', () => {
  it('401/403/404 and bad URLs are fatal', () => {
    assert.deepEqual(classifyExit(1, null, ['[rtsp @ 0x1] method DESCRIBE failed: 401 Unauthorized']), {
      fatal: true,
      reason: '401 Unauthorized (check the camera credentials)',
    });
    assert.equal(classifyExit(1, null, ['method DESCRIBE failed: 404 Not Found']).fatal, true);
    assert.equal(classifyExit(1, null, ['/x.mp4: No such file or directory']).fatal, true);
    assert.equal(classifyExit(1, null, ['rtsp://u:p@h/x: Invalid argument']).fatal, true);
  });
  it('network faults and a silent exit 0 are retried', () => {
    assert.deepEqual(classifyExit(1, null, ['rtsp://u:p@127.0.0.1:1/x: Connection refused']), { fatal: false, reason: 'connection refused' });
    assert.deepEqual(classifyExit(0, null, []), { fatal: false, reason: 'stream ended' });
    assert.equal(classifyExit(null, 'SIGKILL', []).reason, 'ffmpeg killed by SIGKILL');
  });
  it('never puts credentials in the reason', () => {
    const r = classifyExit(1, null, ['rtsp://admin:hunter2@cam/x: Server returned 5XX Server Error reply']);
    assert.ok(!r.reason.includes('hunter2'));
  });
});
