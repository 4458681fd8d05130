import assert from 'node:assert/strict';
import { detectProblem, liveBeats, type InstanceBeat } from '../../src/core/instances';

const beat = (over: Partial<InstanceBeat>): InstanceBeat => ({ id: 'a', roles: ['ingest'], version: '1', readiness: {}, at: 1000, ...over });

describe('instance heartbeats', () => {
  it('keeps only live, well-formed heartbeats', () => {
    const hash = {
      a: JSON.stringify(beat({ id: 'a', at: 10_000 })),
      old: JSON.stringify(beat({ id: 'old', at: 1000 })),
      bad: '{not json',
      odd: JSON.stringify({ id: 'odd' }),
    };
    assert.deepEqual(liveBeats(hash, 20_000).map((b) => b.id), ['a']);
  });

  it('names a camera\'s detect problem only when processes report and none can detect', () => {
    assert.equal(detectProblem([]), undefined, 'nothing known');
    assert.equal(detectProblem([beat({ roles: ['ingest', 'track'] })]), 'detect: no detect process is running');
    assert.equal(
      detectProblem([
        beat({ id: 'd1', roles: ['detect'], readiness: { detect: ['detect: model file missing: /m/x.onnx'] } }),
        beat({ id: 'd2', roles: ['detect'], readiness: { detect: ['detect: model loading'] } }),
      ]),
      'detect: no detector loaded (detect: model file missing: /m/x.onnx; detect: model loading)',
    );
    assert.equal(
      detectProblem([beat({ id: 'd1', roles: ['detect'], readiness: { detect: ['detect: model loading'] } }), beat({ id: 'd2', roles: ['detect', 'ingest'], readiness: { detect: [] } })]),
      undefined,
      'one loaded detector is enough',
    );
  });
});
