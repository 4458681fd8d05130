import assert from 'node:assert/strict';
import { decodeTinyFaces, TINY_ANCHORS } from '../../../src/models/face-api/tiny-decode';

const logit = (p: number) => Math.log(p / (1 - p));

/** A 2x2 grid, 5 anchors, every objectness very low except the given cells. */
function grid(hits: Array<{ row: number; col: number; anchor: number; p: number; t?: [number, number, number, number] }>, batch = 1) {
  const cells = 2;
  const g = new Float32Array(batch * cells * cells * 5 * 5).fill(0);
  for (let i = 4; i < g.length; i += 5) {
    g[i] = -20;
  }
  for (const h of hits) {
    const o = ((h.row * cells + h.col) * 5 + h.anchor) * 5;
    g.set([...(h.t ?? [0, 0, 0, 0]), logit(h.p)], o);
  }
  return g;
}

describe('decodeTinyFaces', () => {
  it("decodes a cell like face-api: centre (col + sigmoid(tx)) / G, size exp(tw) * anchor / G", () => {
    const faces = decodeTinyFaces(grid([{ row: 1, col: 0, anchor: 0, p: 0.9 }]), 2);
    assert.equal(faces.length, 1);
    assert.ok(Math.abs(faces[0].score - 0.9) < 1e-6);
    const [aw, ah] = TINY_ANCHORS[0];
    const cx = 0.5 / 2;
    const cy = 1.5 / 2;
    const expected = [cx - aw / 4, cy - ah / 4, cx + aw / 4, cy + ah / 4].map((v) => Math.min(1, Math.max(0, v)));
    assert.deepEqual(faces[0].box.map((v) => +v.toFixed(6)), expected.map((v) => +v.toFixed(6)));
  });

  it('suppresses an overlapping weaker box (IoU > 0.4), keeps a distant one, best first', () => {
    const faces = decodeTinyFaces(
      grid([
        { row: 0, col: 0, anchor: 0, p: 0.7 },
        { row: 0, col: 0, anchor: 2, p: 0.8, t: [0, 0, -0.3, -0.3] }, // nearly the same box as anchor 0
        { row: 1, col: 1, anchor: 0, p: 0.6 },
      ]),
      2,
    );
    assert.deepEqual(faces.map((f) => +f.score.toFixed(2)), [0.8, 0.6]);
  });

  it('applies the letterbox scale and rejects a bad batch index', () => {
    const g = grid([{ row: 0, col: 0, anchor: 0, p: 0.9, t: [0, 0, -2, -2] }]);
    const plain = decodeTinyFaces(g, 2)[0].box;
    const wide = decodeTinyFaces(g, 2, { letterbox: { scaleX: 1, scaleY: 2 } })[0].box;
    assert.ok(Math.abs(wide[1] - plain[1] * 2) < 1e-6 && Math.abs(wide[0] - plain[0]) < 1e-9);
    assert.throws(() => decodeTinyFaces(g, 2, { batchIndex: 1 }), RangeError);
  });
});
