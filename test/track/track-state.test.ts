import assert from 'node:assert/strict';
import { CameraEngine, snapshotEngine } from '../../src/track/camera-engine';
import { engineConfigOf } from '../../src/track/engine-config';
import { loadConfig } from '../../src/config/load';
import { streamIdBefore } from '../../src/core/stream-id';
import { readTrackState, TRACK_STATE_VERSION, type PersistedTrackState } from '../../src/track/track-state';
import { VTEST_CONFIG, vtestDetections } from './vtest-fixture';

describe('track state (readTrackState)', () => {
  const { config } = loadConfig(VTEST_CONFIG);
  const ec = engineConfigOf(config, config.cameras[0]);
  const engine = new CameraEngine(ec);
  let n = 0;
  for (const r of vtestDetections().slice(0, 400)) {
    for (const c of engine.process(r, r.times.capturedAt).changes) {
      if (c.event === 'start') {
        engine.lifecycle.setId(c.handle, `1700000000000-${n++}`);
      }
    }
  }
  const open = engine.lifecycle.active.map((o) => o.alert);
  const v2: PersistedTrackState = {
    lastId: '1700000000500-3',
    lastSeq: 399,
    nextTrackId: engine.tracker.idCounter,
    open,
    v: TRACK_STATE_VERSION,
    savedAt: 1_700_000_040_000,
    seen: '1700000000600-0',
    engine: snapshotEngine(engine),
  };

  it('continues a version 2 state: the engine restored, the stream read again from its position', () => {
    const plan = readTrackState(JSON.stringify(v2), ec);
    assert.equal(plan.kind, 'continue');
    if (plan.kind !== 'continue') {
      return;
    }
    assert.equal(plan.lastId, v2.lastId);
    assert.equal(plan.seen, v2.seen);
    assert.equal(plan.lastSeq, 399);
    assert.deepEqual(snapshotEngine(plan.engine), snapshotEngine(engine));
  });

  it('falls back to the earlier takeover (end the open alerts, fresh engine) for a state of an earlier version', () => {
    const v1 = { lastId: v2.lastId, lastSeq: 399, nextTrackId: 57, open };
    const plan = readTrackState(JSON.stringify(v1), ec);
    assert.equal(plan.kind, 'legacy');
    if (plan.kind !== 'legacy') {
      return;
    }
    assert.match(plan.warning, /earlier version/);
    assert.deepEqual(plan.open, open);
    assert.ok(open.length > 0);
    assert.equal(plan.nextTrackId, 57);
  });

  it('falls back with a warning naming the problem when the engine part is damaged or of another version', () => {
    const damaged = JSON.parse(JSON.stringify(v2));
    damaged.engine.tracker.tracks[0].kf.c00 = 'x';
    const a = readTrackState(JSON.stringify(damaged), ec);
    assert.equal(a.kind, 'legacy');
    assert.match(a.kind === 'legacy' ? a.warning : '', /cannot be continued \(tracker: .*tracks\.0\.kf\.c00/);
    const b = readTrackState(JSON.stringify({ ...v2, v: 3 }), ec);
    assert.match(b.kind === 'legacy' ? b.warning : '', /version 3/);
    const other = { ...ec, camera: { ...ec.camera, id: 'other' } };
    const c = readTrackState(JSON.stringify(v2), other);
    assert.match(c.kind === 'legacy' ? c.warning : '', /saved for camera walkway/);
  });

  it('starts afresh with a warning when the state is not JSON or lacks even the earlier fields; never throws', () => {
    assert.deepEqual(readTrackState(null, ec), { kind: 'fresh' });
    assert.equal(readTrackState('{"lastId":', ec).kind, 'fresh');
    assert.match((readTrackState('{"lastId":', ec) as { warning: string }).warning, /not JSON/);
    assert.equal(readTrackState('{"lastId":"x","lastSeq":1,"nextTrackId":1,"open":[]}', ec).kind, 'fresh');
    assert.equal(readTrackState('[]', ec).kind, 'fresh');
    // Open alerts that cannot be read are left out (they could not be ended by id either).
    const plan = readTrackState(JSON.stringify({ ...v2, v: undefined, open: [{ id: 5 }, open[0]] }), ec);
    assert.deepEqual(plan.kind === 'legacy' ? plan.open : undefined, [open[0]]);
  });

  it('streamIdBefore gives the id XREAD must start after to return the entry itself', () => {
    assert.equal(streamIdBefore('1700000000500-3'), '1700000000500-2');
    assert.equal(streamIdBefore('1700000000500-0'), '1700000000499-18446744073709551615');
    assert.equal(streamIdBefore('1700000000500-18446744073709551615'), '1700000000500-18446744073709551614');
    assert.equal(streamIdBefore('0-1'), '0-0');
  });
});
