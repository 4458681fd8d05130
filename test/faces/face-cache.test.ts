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
});
