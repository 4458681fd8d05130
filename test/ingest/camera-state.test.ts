import assert from 'node:assert/strict';
import { initialState, nextState, type CameraStatePoint } from '../../src/ingest/camera-state';

describe('camera state machine', () => {
  it('starting → streaming on the first frame, and no change on later frames', () => {
    const s = nextState(initialState(), { type: 'frame' });
    assert.equal(s?.state, 'streaming');
    assert.equal(nextState(s!, { type: 'frame' }), undefined);
  });
  it('streaming → stalled → reconnecting → streaming', () => {
    let s: CameraStatePoint = { state: 'streaming', reason: 'x' };
    s = nextState(s, { type: 'stall', seconds: 5 })!;
    assert.deepEqual(s, { state: 'stalled', reason: 'no frame for 5 s' });
    s = nextState(s, { type: 'exit', fatal: false, reason: 'ffmpeg stopped' })!;
    assert.equal(s.state, 'reconnecting');
    assert.match(s.reason, /no frame for 5 s; restarting ffmpeg/);
    s = nextState(s, { type: 'frame' })!;
    assert.equal(s.state, 'streaming');
    assert.match(s.reason, /was reconnecting/);
  });
  it('stall only applies while streaming', () => {
    assert.equal(nextState({ state: 'reconnecting', reason: 'r' }, { type: 'stall', seconds: 5 }), undefined);
  });
  it('a fatal exit → failed, retried later, a frame brings it back', () => {
    let s = nextState(initialState(), { type: 'exit', fatal: true, reason: '401 Unauthorized' })!;
    assert.deepEqual(s, { state: 'failed', reason: '401 Unauthorized' });
    assert.equal(nextState(s, { type: 'exit', fatal: true, reason: '401 Unauthorized' }), undefined, 'no duplicate change');
    s = nextState(s, { type: 'frame' })!;
    assert.equal(s.state, 'streaming');
  });
  it('a retryable exit → reconnecting; the same exit again changes nothing', () => {
    const s = nextState({ state: 'streaming', reason: 'x' }, { type: 'exit', fatal: false, reason: 'stream ended' })!;
    assert.deepEqual(s, { state: 'reconnecting', reason: 'stream ended' });
    assert.equal(nextState(s, { type: 'exit', fatal: false, reason: 'stream ended' }), undefined);
  });
  it('no first frame → reconnecting with the reason', () => {
    const s = nextState(initialState(), { type: 'no-first-frame', seconds: 10 })!;
    assert.deepEqual(s, { state: 'reconnecting', reason: 'no frame within 10 s of connecting' });
  });
});
