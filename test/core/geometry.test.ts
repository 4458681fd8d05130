import assert from 'node:assert/strict';
import {
  distance,
  distanceToPolygonEdge,
  feet,
  frameScale,
  iou,
  iouOf,
  pointInPolygon,
  segmentsIntersect,
  signedDistance,
} from '../../src/core/geometry';
import type { Point } from '../../src/core/types';

describe('geometry', () => {
  const square: Point[] = [
    [0.2, 0.2],
    [0.6, 0.2],
    [0.6, 0.6],
    [0.2, 0.6],
  ];
  it('feet is the bottom centre of the box', () => {
    assert.deepEqual(feet([0.2, 0.1, 0.4, 0.9]), [0.30000000000000004, 0.9]);
  });
  it('pointInPolygon, including a concave polygon', () => {
    assert.equal(pointInPolygon([0.4, 0.4], square), true);
    assert.equal(pointInPolygon([0.7, 0.4], square), false);
    const u: Point[] = [
      [0, 0],
      [1, 0],
      [1, 1],
      [0.6, 1],
      [0.6, 0.3],
      [0.4, 0.3],
      [0.4, 1],
      [0, 1],
    ];
    assert.equal(pointInPolygon([0.5, 0.8], u), false, 'inside the notch of the U');
    assert.equal(pointInPolygon([0.2, 0.8], u), true);
  });
  it('signedDistance: a point exactly on the line is 0; left of a→b negative, right positive', () => {
    const a: Point = [0.1, 0.5];
    const b: Point = [0.9, 0.5];
    assert.equal(signedDistance([0.5, 0.5], a, b), 0);
    assert.ok(signedDistance([0.5, 0.4], a, b) < 0, 'above a left-to-right line is its left');
    assert.ok(signedDistance([0.5, 0.6], a, b) > 0);
    assert.ok(Math.abs(signedDistance([0.5, 0.6], a, b) - 0.1) < 1e-12);
  });
  it('distances account for the frame aspect ratio', () => {
    const s = frameScale(768, 576);
    assert.ok(Math.abs(distance([0, 0], [0, 1], s) - 0.75) < 1e-12);
    assert.ok(Math.abs(distance([0, 0], [1, 0], s) - 1) < 1e-12);
    assert.ok(Math.abs(distanceToPolygonEdge([0.4, 0.3], square) - 0.1) < 1e-12);
  });
  it('iou and segment intersection', () => {
    assert.equal(iou([0, 0, 1, 1], [0, 0, 1, 1]), 1);
    assert.equal(iou([0, 0, 1, 1], [1, 1, 2, 2]), 0);
    assert.ok(Math.abs(iou([0, 0, 2, 1], [1, 0, 3, 1]) - 1 / 3) < 1e-12);
    assert.ok(Math.abs(iou([0, 0, 2, 2], [1, 1, 3, 3]) - 1 / 7) < 1e-12);
    assert.equal(iou([0, 0, 0, 0], [0, 0, 0, 0]), 0, 'a box with no area overlaps nothing');
    assert.equal(iouOf(0, 0, 10, 10, 5, 0, 15, 10), iou([0, 0, 10, 10], [5, 0, 15, 10]));
    assert.equal(segmentsIntersect([0, 0], [1, 1], [0, 1], [1, 0]), true);
    assert.equal(segmentsIntersect([0, 0], [1, 0], [0, 1], [1, 1]), false);
    assert.equal(segmentsIntersect([0, 0], [1, 0], [0.5, 0], [0.5, 1]), true, 'touching counts');
  });
});
