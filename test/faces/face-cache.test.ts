import assert from 'node:assert/strict';
import type { FaceObservation } from '../../src/core/types';
import { FaceCache } from '../../src/faces/face-cache';

const matched: FaceObservation = {
  box: [0.1, 0.1, 0.2, 0.2],
  score: 0.9,
  embedding: [1, 2],
  match: { identity: 'a', name: 'Ann', distance: 0.4 },
};

describe('FaceCache', () => {
  it('reuses a matched face when the person box barely moved, moved with the box and without embedding', () => {
    const c = new FaceCache({ minIou: 0.8, maxAgeMs: 1000, maxReuse: 2 });
    c.update('cam', [{ person: [0.1, 0.1, 0.5, 0.9], obs: matched }], 0);
    const hit = c.lookup('cam', [0.11, 0.1, 0.51, 0.9], 100);
    assert.ok(hit);
    assert.equal(hit.match!.identity, 'a');
    assert.equal(hit.embedding, undefined);
    assert.ok(Math.abs(hit.box[0] - 0.11) < 1e-9);
    assert.equal(c.lookup('other', [0.1, 0.1, 0.5, 0.9], 100), undefined, 'per camera');
  });

  it('does not reuse moved boxes, old entries, unknown faces, or past maxReuse', () => {
    const c = new FaceCache({ minIou: 0.8, maxAgeMs: 1000, maxReuse: 2 });
    c.update('cam', [{ person: [0.1, 0.1, 0.5, 0.9], obs: matched }], 0);
    assert.equal(c.lookup('cam', [0.3, 0.1, 0.7, 0.9], 10), undefined, 'moved');
    assert.equal(c.lookup('cam', [0.1, 0.1, 0.5, 0.9], 1500), undefined, 'too old');
    assert.ok(c.lookup('cam', [0.1, 0.1, 0.5, 0.9], 10));
    assert.ok(c.lookup('cam', [0.1, 0.1, 0.5, 0.9], 20));
    assert.equal(c.lookup('cam', [0.1, 0.1, 0.5, 0.9], 30), undefined, 'reused twice already');
    const unknown = { ...matched };
    delete unknown.match;
    c.update('cam', [{ person: [0.1, 0.1, 0.5, 0.9], obs: unknown }], 40);
    assert.equal(c.lookup('cam', [0.1, 0.1, 0.5, 0.9], 50), undefined, 'unknown faces are re-examined');
  });

  it('hands back an unknown face with its embedding while the view is not better, never a matched one', () => {
    const c = new FaceCache({ minIou: 0.8, maxAgeMs: 1000, maxReuse: 2 });
    const unknown: FaceObservation = { box: [0.1, 0.1, 0.2, 0.2], score: 0.9, embedding: [3, 4], quality: 0.5 };
    c.update('cam', [{ person: [0.1, 0.1, 0.5, 0.9], obs: unknown }, { person: [0.6, 0.1, 0.9, 0.9], obs: matched }], 0);
    const hit = c.lookupUnknown('cam', [0.11, 0.1, 0.51, 0.9], 100, 0.52);
    assert.deepEqual(hit?.embedding, [3, 4], 'kept with its embedding');
    assert.equal(c.lookupUnknown('cam', [0.1, 0.1, 0.5, 0.9], 100, 0.6), undefined, 'a better view is embedded again');
    assert.equal(c.lookupUnknown('cam', [0.6, 0.1, 0.9, 0.9], 100, 0.1), undefined, 'a matched face is not an unknown one');
    assert.equal(c.lookupUnknown('cam', [0.1, 0.1, 0.5, 0.9], 1500, 0.1), undefined, 'too old');
    assert.ok(c.lookupUnknown('cam', [0.1, 0.1, 0.5, 0.9], 200, 0.1));
    assert.equal(c.lookupUnknown('cam', [0.1, 0.1, 0.5, 0.9], 300, 0.1), undefined, 'reused twice already');
  });
});
