import assert from 'node:assert/strict';
import { CameraEngine, facesByTrack } from '../../src/track/camera-engine';
import { engineConfigOf } from '../../src/track/engine-config';
import { configSchema } from '../../src/config/schema';
import type { DetectionResult, FaceObservation } from '../../src/core/types';
import { track } from '../alerts/rules/helpers';

function cfg(rules: unknown[]) {
  return configSchema.parse({
    cameras: [{ id: 'cam', url: '/dev/null', zones: [{ id: 'z', polygon: [[0.5, 0], [1, 0], [1, 1], [0.5, 1]] }] }],
    rules,
    track: { minHits: 1 },
    alerts: { endAfterSeconds: 1 },
  });
}

function frame(seq: number, t: number, x: number): DetectionResult {
  return {
    camera: 'cam',
    seq,
    frameKey: '',
    width: 640,
    height: 480,
    format: 'rgb24',
    times: { capturedAt: t, queuedAt: t },
    model: 'm',
    detections: [{ label: 'person', score: 0.9, box: [x, 0.4, x + 0.05, 0.6] }],
  };
}

describe('CameraEngine', () => {
  it('#tick raises camera_down when frames stop and the camera stays down', () => {
    const c = cfg([{ id: 'down', type: 'camera_down', camera: 'cam', seconds: 5 }]);
    const e = new CameraEngine(engineConfigOf(c, c.cameras[0]));
    const t0 = Date.parse('2024-01-01T00:00:00Z');
    e.process(frame(0, t0, 0.1), t0);
    e.onCameraState({ type: 'camera', camera: 'cam', state: 'reconnecting', reason: 'eof', at: new Date(t0 + 500).toISOString() });
    assert.deepEqual(e.tick(t0 + 3000), []);
    const start = e.tick(t0 + 6000);
    assert.deepEqual(
      start.map((x) => [x.event, x.alert.rule]),
      [['start', 'down']],
    );
    e.onCameraState({ type: 'camera', camera: 'cam', state: 'streaming', reason: '', at: new Date(t0 + 7000).toISOString() });
    assert.deepEqual(e.tick(t0 + 6900), [], 'still down, alert held');
    assert.deepEqual(
      e.tick(t0 + 7500).map((x) => [x.event, x.alert.endedAt]),
      [['end', new Date(t0 + 7500).toISOString()]],
    );
  });
  it('#configure keeps tracks and the state of unchanged rules; a new rule starts fresh', () => {
    const c1 = cfg([{ id: 'in', type: 'zone_enter', camera: 'cam', zone: 'z' }]);
    const e = new CameraEngine(engineConfigOf(c1, c1.cameras[0]));
    let t = 0;
    const out = [];
    for (let i = 0; i < 5; i++) {
      out.push(...e.process(frame(i, (t += 100), 0.7), t).changes);
    }
    assert.equal(out.filter((x) => x.event === 'start').length, 1);
    const c2 = cfg([
      { id: 'in', type: 'zone_enter', camera: 'cam', zone: 'z' },
      { id: 'off', type: 'zone_enter', camera: 'cam', zone: 'z', enabled: false },
    ]);
    e.configure(engineConfigOf(c2, c2.cameras[0]));
    const after = e.process(frame(5, (t += 100), 0.7), t);
    assert.deepEqual(after.changes, [], 'no second start for the same person after a reload');
    assert.equal(after.objects[0].trackId, 1);
    assert.deepEqual(
      e.activeRules.map((r) => r.id),
      ['in'],
    );
  });
  it('facesByTrack attaches faces to the track of the person box they were found in', () => {
    const f: FaceObservation = { box: [0, 0, 0.01, 0.01], score: 1, detectionIndex: 1 };
    const m = facesByTrack([track(7, 0.5, 0.5, { detectionIndex: 1 }), track(8, 0.2, 0.5, { detectionIndex: 0 })], [f, { ...f, detectionIndex: 5 }]);
    assert.deepEqual([...m.keys()], [7]);
  });
  it('object_left and speed through the real tracker: a bag left behind, a runner', () => {
    const c = cfg([
      { id: 'left', type: 'object_left', camera: 'cam', seconds: 3, radius: 0.1 },
      { id: 'fast', type: 'speed', camera: 'cam', speed: 0.25, labels: ['person'] },
    ]);
    const e = new CameraEngine(engineConfigOf(c, c.cameras[0]));
    const events = [];
    for (let i = 0; i < 60; i++) {
      const t = i * 100;
      // The owner stands by the bag for 1 s, then walks away at 0.1 frame/s; a runner crosses at 0.5 frame/s.
      const ox = i < 10 ? 0.3 : 0.3 + 0.01 * (i - 10);
      const rx = 0.05 + 0.05 * i;
      const dets = [
        { label: 'backpack', score: 0.8, box: [0.32, 0.55, 0.36, 0.62] as [number, number, number, number] },
        { label: 'person', score: 0.9, box: [ox, 0.4, ox + 0.05, 0.62] as [number, number, number, number] },
      ];
      if (rx < 0.95) {
        dets.push({ label: 'person', score: 0.9, box: [rx, 0.1, rx + 0.04, 0.25] });
      }
      events.push(...e.process({ ...frame(i, t, 0), detections: dets }, t).changes.map((x) => ({ ...x, t })));
    }
    const starts = events.filter((x) => x.event === 'start');
    const left = starts.filter((x) => x.alert.rule === 'left');
    assert.equal(left.length, 1);
    assert.equal(left[0].alert.objects[0].label, 'backpack');
    // Alone once the owner's feet/centre are 0.1 away (about 2.5 s in), then 3 s.
    assert.ok(left[0].t >= 5000 && left[0].t <= 6000, `object_left at ${left[0].t}`);
    const fast = starts.filter((x) => x.alert.rule === 'fast');
    assert.equal(fast.length, 1, 'only the runner is fast');
    assert.ok(fast[0].t <= 1500, `speed at ${fast[0].t}`);
  });
});

