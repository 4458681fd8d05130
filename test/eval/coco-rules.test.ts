/** Matching rules of the COCO box metrics, on cases small enough to compute by hand. */
import assert from 'node:assert/strict';
import { evaluateCoco } from '../../src/eval/metrics/coco';
import type { CocoDtBox, CocoGroundTruth, CocoGtBox, XywhBox } from '../../src/eval/metrics/types';

const images = (n: number) => Array.from({ length: n }, (_, i) => ({ id: i + 1, frame: i + 1 }));
let nextId = 1;
const g = (imageId: number, bbox: XywhBox, iscrowd = false, categoryId = 1): CocoGtBox => ({ id: nextId++, imageId, categoryId, bbox, area: bbox[2] * bbox[3], iscrowd });
const d = (imageId: number, bbox: XywhBox, score: number, categoryId = 1): CocoDtBox => ({ imageId, categoryId, bbox, score });
const truth = (n: number, annotations: CocoGtBox[]): CocoGroundTruth => ({ images: images(n), categories: [{ id: 1, name: 'person' }, { id: 2, name: 'car' }], annotations });
const M: XywhBox = [100, 100, 50, 100]; // area 5000: medium
const near = (b: XywhBox, dx: number): XywhBox => [b[0] + dx, b[1], b[2], b[3]];
/** pycocotools' precision is tp / (tp + fp + 2^-52): a single true positive scores 0.9999999999999998, not 1. */
const one = (x: number | undefined): void => assert.ok(x !== undefined && Math.abs(x - 1) < 1e-12, `${x} is not 1`);

describe('COCO rules', () => {
  it('perfect detections: AP and AR 1; area ranges without gt are -1', () => {
    const r = evaluateCoco(truth(2, [g(1, M), g(2, M)]), [d(1, M, 0.9), d(2, M, 0.8)]);
    const o = r.overall;
    assert.deepEqual([o.ap, o.ap50, o.ap75, o.apMedium, o.ar1, o.ar10, o.ar100, o.arMedium], [1, 1, 1, 1, 1, 1, 1, 1]);
    assert.deepEqual([o.apSmall, o.apLarge, o.arSmall, o.arLarge], [-1, -1, -1, -1]);
    const person = r.perClass.find((c) => c.name === 'person');
    assert.ok(person && person.numGt === 2 && person.numDt === 2 && person.pr[0].precision.every((p) => p === 1));
  });
  it('a duplicate detection is a false positive where it ranks: AP50 = (51 x 1 + 50 x 2/3) / 101', () => {
    const r = evaluateCoco(truth(2, [g(1, M), g(2, M)]), [d(1, M, 0.9), d(1, near(M, 2), 0.8), d(2, M, 0.7)]);
    assert.ok(Math.abs(r.overall.ap50 - (51 + (50 * 2) / 3) / 101) < 1e-12, String(r.overall.ap50));
    assert.equal(r.overall.ar100, 1);
    // Ranked after every true positive, the same duplicate costs nothing.
    assert.equal(evaluateCoco(truth(2, [g(1, M), g(2, M)]), [d(1, M, 0.9), d(1, near(M, 2), 0.1), d(2, M, 0.7)]).overall.ap50, 1);
  });
  it('crowd regions: detections inside are neither hits nor false positives, and the region is never missed', () => {
    const crowd: XywhBox = [0, 0, 400, 300];
    const r = evaluateCoco(truth(1, [g(1, crowd, true), g(1, [500, 10, 50, 100])]), [
      d(1, [10, 10, 40, 80], 0.99), // inside the crowd: IoA 1
      d(1, [200, 100, 40, 80], 0.98), // inside the crowd too: a crowd box takes any number of detections
      d(1, [500, 10, 50, 100], 0.5),
    ]);
    one(r.overall.ap);
    assert.equal(r.perClass[0].numGt, 1);
    // Only crowd regions: nothing to find, AP undefined.
    assert.equal(evaluateCoco(truth(1, [g(1, crowd, true)]), [d(1, [10, 10, 40, 80], 0.9)]).overall.ap, -1);
  });
  it('area ranges: a large box counts only in "large"; an unmatched detection outside the range is ignored there', () => {
    const L: XywhBox = [0, 0, 200, 200];
    const S: XywhBox = [400, 400, 20, 20];
    const r = evaluateCoco(truth(1, [g(1, L)]), [d(1, S, 0.9), d(1, L, 0.5)]);
    one(r.overall.apLarge); // the small false positive is outside "large": ignored
    assert.ok(r.overall.ap < 1); // in "all" it ranks first as a false positive
    assert.deepEqual([r.overall.apSmall, r.overall.apMedium], [-1, -1]);
  });
  it('empty images change nothing; an image with detections and no gt adds false positives', () => {
    const base = evaluateCoco(truth(1, [g(1, M)]), [d(1, M, 0.5)]);
    assert.equal(evaluateCoco(truth(3, [g(1, M)]), [d(1, M, 0.5)]).overall.ap, base.overall.ap);
    assert.ok(evaluateCoco(truth(2, [g(1, M)]), [d(1, M, 0.5), d(2, M, 0.9)]).overall.ap < base.overall.ap);
  });
  it('no detections: AP and AR 0; a class with no gt: -1', () => {
    const r = evaluateCoco(truth(1, [g(1, M)]), []);
    assert.deepEqual([r.overall.ap, r.overall.ar100], [0, 0]);
    assert.equal(r.perClass.find((c) => c.name === 'car')?.ap, -1);
    assert.equal(evaluateCoco(truth(1, []), [d(1, M, 0.9)]).overall.ap, -1);
  });
  it('maxDets: AR@1 counts only the best detection of each image', () => {
    const r = evaluateCoco(truth(1, [g(1, M), g(1, near(M, 300))]), [d(1, M, 0.9), d(1, near(M, 300), 0.8)]);
    assert.deepEqual([r.overall.ar1, r.overall.ar10], [0.5, 1]);
  });
  it('detections are matched within their class only', () => {
    const r = evaluateCoco(truth(1, [g(1, M)]), [d(1, M, 0.9, 2)]);
    assert.equal(r.perClass.find((c) => c.name === 'person')?.ap, 0);
    one(evaluateCoco(truth(1, [g(1, M)]), [d(1, M, 0.9, 2)], { useCats: false }).overall.ap);
  });
  it('a gt annotation with id 0 is matched like any other (pycocotools would never match it)', () => {
    const r = evaluateCoco(truth(1, [{ ...g(1, M), id: 0 }]), [d(1, M, 0.9)]);
    one(r.overall.ap);
  });
  it('a detection on an image the ground truth does not have is an error naming it', () => {
    assert.throws(() => evaluateCoco(truth(1, [g(1, M)]), [d(7, M, 0.9)]), /detection 1: image_id 7 is not an image of the ground truth/);
  });
});
