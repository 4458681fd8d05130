import assert from 'node:assert/strict';
import { input, rule, runRule, track } from './helpers';
import type { FaceObservation } from '../../../src/core/types';

describe('object_left', () => {
  const r = rule({ type: 'object_left', seconds: 3, radius: 0.1 });
  it('a still bag with nobody near for `seconds` fires; with its owner standing by it does not', () => {
    const bag = (t: number) => track(5, 0.5, 0.7, { label: 'backpack', box: [0.48, 0.65, 0.52, 0.7], stationarySince: 0, lastSeen: t });
    const left = runRule(
      r,
      Array.from({ length: 10 }, (_, i) => input(i * 500, [bag(i * 500), ...(i < 2 ? [track(1, 0.52, 0.72)] : [])])),
    );
    const first = left.findIndex((c) => c.length > 0);
    assert.equal(first * 500, 4000, 'owner left at 1 s, alone for 3 s');
    const guarded = runRule(
      r,
      Array.from({ length: 10 }, (_, i) => input(i * 500, [bag(i * 500), track(1, 0.55, 0.72)])),
    );
    assert.equal(guarded.flat().length, 0);
  });
  it('a moving bag (being carried) does not fire; persons are not carried items', () => {
    const out = runRule(
      r,
      Array.from({ length: 10 }, (_, i) => input(i * 500, [track(5, 0.5, 0.7, { label: 'suitcase', stationarySince: -1 }), track(6, 0.2, 0.7, { stationarySince: 0 })])),
    );
    assert.equal(out.flat().length, 0);
  });
});

describe('speed', () => {
  it('fires above the threshold for two consecutive frames only', () => {
    const r = rule({ type: 'speed', speed: 0.2, labels: ['car'] });
    const v = [0.1, 0.3, 0.1, 0.3, 0.35, 0.4];
    const out = runRule(
      r,
      v.map((s, i) => input(i * 100, [track(1, 0.5, 0.5, { label: 'car', speed: s })])),
    );
    assert.deepEqual(
      out.map((c) => c.length),
      [0, 0, 0, 0, 1, 1],
    );
  });
});

describe('face_match / face_unknown', () => {
  const face = (m?: { identity: string; name: string; distance: number }): FaceObservation => ({
    box: [0.49, 0.45, 0.51, 0.48],
    score: 0.9,
    embedding: [0],
    detectionIndex: 0,
    ...(m ? { match: m } : {}),
  });
  const obama = { identity: 'id1', name: 'obama', distance: 0.4 };
  it('face_match needs `votes` agreeing frames, and filters identities', () => {
    const r = rule({ type: 'face_match' });
    const faces = [[face(obama)], [], [face(obama)], [face(obama)]];
    const out = runRule(
      r,
      faces.map((f, i) => input(i * 100, [track(1, 0.5, 0.7)], { faces: new Map([[1, f]]) })),
    );
    assert.deepEqual(
      out.map((c) => c.length),
      [0, 0, 1, 1],
    );
    assert.deepEqual(out[2][0].face, obama);
    const other = runRule(
      rule({ type: 'face_match', identities: ['biden'] }),
      faces.map((f, i) => input(i * 100, [track(1, 0.5, 0.7)], { faces: new Map([[1, f]]) })),
    );
    assert.equal(other.flat().length, 0);
  });
  it('face_match with maxDistance ignores looser matches (a watchlist with its own threshold)', () => {
    const faces = [[face(obama)], [face(obama)], [face({ ...obama, distance: 0.3 })], [face({ ...obama, distance: 0.3 })]];
    const strict = runRule(
      rule({ type: 'face_match', maxDistance: 0.35 }),
      faces.map((f, i) => input(i * 100, [track(1, 0.5, 0.7)], { faces: new Map([[1, f]]) })),
    );
    assert.deepEqual(
      strict.map((c) => c.length),
      [0, 0, 0, 1],
    );
    assert.equal(strict[3][0].face?.distance, 0.3);
  });
  it('face_unknown fires after `votes` unmatched embedded faces, never for a matched track', () => {
    const r = rule({ type: 'face_unknown' });
    const out = runRule(
      r,
      [0, 1, 2].map((i) => input(i * 100, [track(1, 0.5, 0.7), track(2, 0.3, 0.7)], { faces: new Map([[1, [face()]], [2, [i === 0 ? face(obama) : face()]]]) })),
    );
    assert.deepEqual(
      out.map((c) => c.map((x) => x.key)),
      [[], ['track:1'], ['track:1']],
    );
  });
});

describe('camera_down', () => {
  it('fires when the camera has been down for `seconds`, not while streaming', () => {
    const r = rule({ type: 'camera_down', seconds: 10 });
    const cs = (state: 'streaming' | 'reconnecting', since: number) => ({ state, since, reason: 'x' });
    const out = runRule(r, [
      input(5000, [], { cameraState: cs('reconnecting', 0), frame: false }),
      input(10_000, [], { cameraState: cs('reconnecting', 0), frame: false }),
      input(20_000, [], { cameraState: cs('streaming', 15_000), frame: false }),
    ]);
    assert.deepEqual(
      out.map((c) => c.length),
      [0, 1, 0],
    );
  });
});
