import assert from 'node:assert/strict';
import {
  CameraEngine,
  ENGINE_STATE_VERSION,
  restoreEngine,
  snapshotEngine,
  type FrameOutcome,
} from '../../src/track/camera-engine';
import { engineConfigOf } from '../../src/track/engine-config';
import { configSchema, type VigilConfig } from '../../src/config/schema';
import type { DetectionResult, FaceObservation } from '../../src/core/types';
import { StateError } from '../../src/core/state-codec';
import { vtestDetections } from './vtest-fixture';

/**
 * The vtest walkway (real YOLOX detections) with one rule of every type, synthetic faces on the people so the face
 * rules vote, and camera state changes so camera_down runs: an engine saved mid-scene and restored through JSON
 * must give exactly the outcomes of the engine that kept running.
 */
export function allRulesConfig(): VigilConfig {
  return configSchema.parse({
    cameras: [
      {
        id: 'walkway',
        url: '/dev/null',
        zones: [
          { id: 'sign', polygon: [[0.44, 0.4], [0.62, 0.4], [0.62, 0.52], [0.44, 0.52]] },
          { id: 'lawn', polygon: [[0.0, 0.55], [0.55, 0.55], [0.55, 1.0], [0.0, 1.0]] },
          { id: 'road', polygon: [[0.6, 0.0], [1.0, 0.0], [1.0, 0.3], [0.6, 0.3]] },
        ],
        lines: [{ id: 'walkway-x30', points: [[0.3, 0.3], [0.3, 0.6]] }],
        faces: { enabled: true },
      },
    ],
    rules: [
      { id: 'count', type: 'line_cross', camera: 'walkway', line: 'walkway-x30', direction: 'any' },
      { id: 'enter', type: 'zone_enter', camera: 'walkway', zone: 'sign', cooldown: 5 },
      { id: 'exit', type: 'zone_exit', camera: 'walkway', zone: 'lawn' },
      { id: 'loiter', type: 'loiter', camera: 'walkway', zone: 'sign', seconds: 5 },
      { id: 'crowd', type: 'crowd', camera: 'walkway', zone: 'lawn', count: 2, seconds: 1 },
      { id: 'left', type: 'object_left', camera: 'walkway', labels: ['car', 'truck'], seconds: 3, radius: 0.08 },
      { id: 'fast', type: 'speed', camera: 'walkway', speed: 0.05, labels: ['person'] },
      { id: 'face', type: 'face_match', camera: 'walkway' },
      { id: 'stranger', type: 'face_unknown', camera: 'walkway' },
      { id: 'down', type: 'camera_down', camera: 'walkway', seconds: 1 },
    ],
    faces: { votes: 2 },
  });
}

/** Deterministic faces for some person boxes: matches for two identities, unknown embedded faces for others. */
export function withFaces(results: readonly DetectionResult[]): DetectionResult[] {
  return results.map((r) => {
    const faces: FaceObservation[] = [];
    r.detections.forEach((d, i) => {
      if (d.label !== 'person' || d.score < 0.5) {
        return;
      }
      const k = (r.seq + i) % 5;
      const box = [d.box[0], d.box[1], d.box[2], d.box[1] + (d.box[3] - d.box[1]) / 5] as FaceObservation['box'];
      if (k === 0) {
        faces.push({ box, score: 0.9, detectionIndex: i, embedding: [0], match: { identity: `id${i % 2}`, name: `N${i % 2}`, distance: 0.3 + (r.seq % 7) / 100 } });
      } else if (k === 1) {
        faces.push({ box, score: 0.8, detectionIndex: i, embedding: [0] });
      }
    });
    return { ...r, faces };
  });
}

/** Runs frames (and a tick after every 50th, on a wall clock 1.5 s past it), numbering started alerts. */
function runner(engine: CameraEngine, next: { n: number }) {
  return (r: DetectionResult): Array<FrameOutcome | ReturnType<CameraEngine['tick']>> => {
    const out: Array<FrameOutcome | ReturnType<CameraEngine['tick']>> = [];
    const o = engine.process(r, r.times.capturedAt);
    name(engine, o.changes, next);
    out.push(o);
    if (r.seq % 50 === 49) {
      // A stall: the tick extrapolates the capture clock and may end alerts.
      const t = engine.tick(r.times.capturedAt + 1500);
      name(engine, t, next);
      out.push(t);
    }
    return out;
  };
}

function name(engine: CameraEngine, changes: FrameOutcome['changes'], next: { n: number }): void {
  for (const c of changes) {
    if (c.event === 'start') {
      engine.lifecycle.setId(c.handle, `${1_700_000_000_000 + next.n++}-0`);
    }
  }
}

describe('engine state (snapshotEngine / restoreEngine)', () => {
  const config = allRulesConfig();
  const cam = config.cameras[0];
  const frames = withFaces(vtestDetections());
  const stateAt = new Map<number, { state: 'reconnecting' | 'streaming' }>([
    [300, { state: 'reconnecting' }],
    [360, { state: 'streaming' }],
  ]);
  const feedCameraState = (engine: CameraEngine, r: DetectionResult) => {
    const s = stateAt.get(r.seq);
    if (s) {
      engine.onCameraState({ type: 'camera', camera: 'walkway', state: s.state, reason: 'test', at: new Date(r.times.capturedAt).toISOString() });
    }
  };

  it('covers every rule type: each raises alerts on the walkway', () => {
    const e = new CameraEngine(engineConfigOf(config, cam));
    const run = runner(e, { n: 0 });
    const types = new Set<string>();
    for (const r of frames) {
      feedCameraState(e, r);
      for (const o of run(r)) {
        for (const c of Array.isArray(o) ? o : o.changes) {
          types.add(c.alert.type);
        }
      }
    }
    for (const t of ['camera_down', 'line_cross', 'zone_enter', 'zone_exit', 'loiter', 'crowd', 'object_left', 'speed', 'face_match', 'face_unknown']) {
      assert.ok(types.has(t), `${t} alerts: ${[...types].join(', ')}`);
    }
  });

  for (const cut of [1, 37, 175, 181, 260, 301, 420, 523, 611, 700, 790]) {
    it(`a round trip through JSON after frame ${cut} gives bit-identical outcomes on the following frames`, () => {
      const a = new CameraEngine(engineConfigOf(config, cam));
      const na = { n: 0 };
      const runA = runner(a, na);
      for (const r of frames.slice(0, cut)) {
        feedCameraState(a, r);
        runA(r);
      }
      const saved = JSON.parse(JSON.stringify(snapshotEngine(a))) as unknown;
      const b = restoreEngine(engineConfigOf(config, cam), saved, frames[cut - 1].times.capturedAt);
      assert.deepStrictEqual(snapshotEngine(b), snapshotEngine(a), 'the restored engine saves the same state');
      const nb = { n: na.n };
      const runB = runner(b, nb);
      for (const r of frames.slice(cut)) {
        feedCameraState(a, r);
        feedCameraState(b, r);
        // deepStrictEqual compares numbers with Object.is: -0 and 0 differ, so this is bit for bit.
        assert.deepStrictEqual(runB(r), runA(r), `frame ${r.seq}`);
      }
      const end = frames[frames.length - 1].times.capturedAt + 10_000;
      assert.deepStrictEqual(b.finish(end), a.finish(end));
      assert.deepStrictEqual(snapshotEngine(b), snapshotEngine(a));
    });
  }

  it('restores line counts, open alerts with their ids, and the track id counter', () => {
    const a = new CameraEngine(engineConfigOf(config, cam));
    const run = runner(a, { n: 0 });
    for (const r of frames.slice(0, 600)) {
      run(r);
    }
    const s = snapshotEngine(a);
    const line = s.rules.find((r) => r.id === 'count')!.state as { counts: { a_to_b: number; b_to_a: number } };
    assert.ok(line.counts.a_to_b + line.counts.b_to_a > 0, 'crossings counted by frame 600');
    const b = restoreEngine(engineConfigOf(config, cam), JSON.parse(JSON.stringify(s)));
    assert.deepEqual(
      b.lifecycle.active.map((o) => o.alert.id),
      a.lifecycle.active.map((o) => o.alert.id),
    );
    assert.ok(b.lifecycle.active.length > 0 && b.lifecycle.active.every((o) => o.alert.id !== ''));
    assert.equal(b.tracker.idCounter, a.tracker.idCounter);
  });

  it('a rule whose config changed starts afresh; the others keep their state', () => {
    const a = new CameraEngine(engineConfigOf(config, cam));
    const run = runner(a, { n: 0 });
    for (const r of frames.slice(0, 600)) {
      run(r);
    }
    const s = JSON.parse(JSON.stringify(snapshotEngine(a))) as ReturnType<typeof snapshotEngine>;
    const changed = configSchema.parse({
      ...config,
      rules: config.rules.map((r) => (r.id === 'count' ? { ...r, direction: 'a_to_b' } : r)),
    });
    const b = restoreEngine(engineConfigOf(changed, changed.cameras[0]), s);
    const rs = snapshotEngine(b).rules;
    assert.deepEqual(rs.find((r) => r.id === 'count')!.state, { sides: [], counts: { a_to_b: 0, b_to_a: 0 } });
    assert.deepEqual(rs.find((r) => r.id === 'loiter')!.state, s.rules.find((r) => r.id === 'loiter')!.state);
  });

  it('refuses a damaged, foreign or other-version state with a StateError and leaves the engine as it was', () => {
    const a = new CameraEngine(engineConfigOf(config, cam));
    const run = runner(a, { n: 0 });
    for (const r of frames.slice(0, 300)) {
      run(r);
    }
    const good = JSON.stringify(snapshotEngine(a));
    /* eslint-disable @typescript-eslint/no-explicit-any -- each case damages one field deep in a parsed JSON state */
    const bad: Array<[string, (s: any) => void]> = [
      ['version', (s) => (s.v = ENGINE_STATE_VERSION + 1)],
      ['camera', (s) => (s.camera = 'other')],
      ['kalman', (s) => (s.tracker.tracks[0].kf.p = [1, 2])],
      ['track status', (s) => (s.tracker.tracks[0].status = 'gone')],
      ['repeated track key', (s) => s.tracker.tracks.push(s.tracker.tracks[0])],
      ['line counts', (s) => (s.rules.find((r: any) => r.id === 'count').state.counts.a_to_b = 'many')],
      ['presence', (s) => (s.rules.find((r: any) => r.id === 'loiter').state.presence = { 1: true })],
      ['face votes', (s) => (s.rules.find((r: any) => r.id === 'face').state.votes = [[1, { unknown: -1 }]])],
      ['open alert', (s) => (s.lifecycle.open = [{ ...s.lifecycle.open[0], alert: { id: 3 } }])],
      ['cooldown', (s) => (s.lifecycle.cooldowns = [['k', null]])],
      ['clock', (s) => (s.lastCapture = null)],
    ];
    /* eslint-enable @typescript-eslint/no-explicit-any */
    for (const [what, damage] of bad) {
      const s = JSON.parse(good);
      damage(s);
      const b = new CameraEngine(engineConfigOf(config, cam));
      const before = JSON.stringify(snapshotEngine(b));
      assert.throws(() => b.restore(s), StateError, what);
      assert.equal(JSON.stringify(snapshotEngine(b)), before, `${what}: engine unchanged`);
    }
    assert.throws(() => restoreEngine(engineConfigOf(config, cam), null), StateError);
    assert.throws(() => restoreEngine(engineConfigOf(config, cam), 'x'), StateError);
  });
});
