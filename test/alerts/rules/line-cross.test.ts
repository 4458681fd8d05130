import assert from 'node:assert/strict';
import { input, rule, runRule, track } from './helpers';

/** Feet y positions over frames for one track crossing the horizontal line y = 0.5 (x = 0.5). */
function walk(ys: number[], r = rule({ type: 'line_cross', line: 'l' })) {
  return runRule(
    r,
    ys.map((y, i) => input(i * 100, [track(1, 0.5, y)])),
  );
}

describe('line_cross', () => {
  it('counts both directions: downwards is a_to_b for a line drawn left to right', () => {
    const out = walk([0.4, 0.45, 0.55, 0.6, 0.6, 0.5, 0.45, 0.4]).flat();
    assert.deepEqual(
      out.map((c) => c.direction),
      ['a_to_b', 'b_to_a'],
    );
    assert.deepEqual(out[1].counts, { a_to_b: 1, b_to_a: 1 });
    assert.equal(out[1].count, 2);
  });
  it('a box exactly on the line counts for neither side; stopping on it and going back is no crossing', () => {
    assert.deepEqual(walk([0.4, 0.5, 0.5, 0.5, 0.4]).flat(), []);
    assert.equal(walk([0.4, 0.5, 0.5, 0.6, 0.62]).flat().length, 1, 'crossing through a frame on the line counts once');
  });
  it('jitter across the line never flaps (one frame on the other side is not a crossing)', () => {
    const ys = [0.47, 0.53, 0.47, 0.53, 0.47, 0.53, 0.47];
    assert.deepEqual(walk(ys).flat(), []);
  });
  it('direction filter: b_to_a rules ignore a_to_b crossings but still count them', () => {
    const out = walk([0.6, 0.55, 0.45, 0.4, 0.4, 0.55, 0.6], rule({ type: 'line_cross', line: 'l', direction: 'a_to_b' })).flat();
    assert.equal(out.length, 1);
    assert.equal(out[0].direction, 'a_to_b');
    assert.deepEqual(out[0].counts, { a_to_b: 1, b_to_a: 1 });
  });
  it('passing beyond the end of the segment is no crossing; labels filter', () => {
    const r = rule({ type: 'line_cross', line: 'l' });
    const out = runRule(
      r,
      [0.4, 0.45, 0.55, 0.6].map((y, i) => input(i * 100, [track(1, 0.95, y), track(2, 0.5, y, { label: 'car' })])),
    ).flat();
    assert.deepEqual(out, []);
  });
});
