import assert from 'node:assert/strict';
import { parseRange } from '../../src/api/byte-range';
import { clipAnswer } from '../../src/api/routes/clips';
import type { Alert } from '../../src/core/types';

describe('clip answers (pure)', () => {
  it('parses byte ranges: one range 206, several or other units 200, malformed or beyond the end 416', () => {
    assert.deepEqual(parseRange(undefined, 100), { kind: 'full' });
    assert.deepEqual(parseRange('bytes=0-9', 100), { kind: 'partial', start: 0, end: 9 });
    assert.deepEqual(parseRange('bytes=90-', 100), { kind: 'partial', start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=90-500', 100), { kind: 'partial', start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=-10', 100), { kind: 'partial', start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=-500', 100), { kind: 'partial', start: 0, end: 99 });
    assert.deepEqual(parseRange('bytes=0-1,5-6', 100), { kind: 'full' });
    assert.deepEqual(parseRange('items=0-1', 100), { kind: 'full' });
    for (const bad of ['bytes=100-', 'bytes=100-200', 'bytes=5-2', 'bytes=abc', 'bytes=-', 'bytes=-0', 'bytes=0-1,x', 'bytes=1.5-2']) {
      assert.deepEqual(parseRange(bad, 100), { kind: 'unsatisfiable' }, bad);
    }
  });

  const alert = (over: Partial<Alert> = {}): Alert => ({
    id: '1700000000000-0',
    rule: 'r',
    type: 'zone_enter',
    camera: 'door',
    severity: 'medium',
    state: 'ended',
    startedAt: '2026-12-04T09:00:00.000Z',
    updatedAt: '2026-12-04T09:00:10.000Z',
    endedAt: '2026-12-04T09:00:10.000Z',
    objects: [],
    latencyMs: 0,
    ...over,
  });
  const S = { post: 5, recorded: true, segmentSeconds: 2 };
  const END = Date.parse('2026-12-04T09:00:10.000Z');

  it('ready records name only clips/<id>.mp4 under the recording directory', () => {
    assert.deepEqual(clipAnswer(alert(), { state: 'ready', file: 'clips/1700000000000-0.mp4', bytes: 1, durationMs: 1, from: '', to: '' }, S, '/rec', END), {
      kind: 'ready',
      file: '/rec/clips/1700000000000-0.mp4',
    });
    for (const file of ['clips/../../etc/passwd', 'clips/1700000000001-0.mp4', '/etc/passwd', 'door/x-000001.ts']) {
      assert.equal(clipAnswer(alert(), { state: 'ready', file, bytes: 1, durationMs: 1, from: '', to: '' }, S, '/rec', END).kind, 'none', file);
    }
  });

  it('pending while active or within post + grace after the end; none after that, or when not recorded', () => {
    assert.equal(clipAnswer(alert({ state: 'active', endedAt: undefined }), undefined, S, '/rec', END).kind, 'pending');
    const soon = clipAnswer(alert(), undefined, S, '/rec', END + 1000);
    assert.equal(soon.kind, 'pending');
    assert.equal(soon.kind === 'pending' && soon.retryAfterS, 6);
    assert.equal(clipAnswer(alert(), undefined, S, '/rec', END + 60_000).kind, 'none');
    const off = clipAnswer(alert(), undefined, { ...S, recorded: false }, '/rec', END);
    assert.equal(off.kind, 'none');
    assert.match(off.kind === 'none' ? off.message : '', /not recorded/);
    const none = clipAnswer(alert(), { state: 'none', reason: 'nothing recorded' }, S, '/rec', END);
    assert.match(none.kind === 'none' ? none.message : '', /nothing recorded/);
  });
});
