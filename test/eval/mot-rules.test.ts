/** Matching rules of the tracking metrics, on hand-made sequences small enough to count by hand. */
import assert from 'node:assert/strict';
import { evaluateMot } from '../../src/eval/metrics/mot';
import type { MotGtRow, MotTrackRow, XywhBox } from '../../src/eval/metrics/types';

const gtRow = (frame: number, id: number, bbox: XywhBox, cls = 1, mark = 1): MotGtRow => ({ frame, id, bbox, mark, cls, visibility: 1 });
const tr = (frame: number, id: number, bbox: XywhBox): MotTrackRow => ({ frame, id, bbox, conf: 1 });
const B: XywhBox = [100, 100, 50, 100];
const shifted = (b: XywhBox, dx: number): XywhBox => [b[0] + dx, b[1], b[2], b[3]];

describe('MOT rules', () => {
  it('perfect tracking scores 1 everywhere', () => {
    const gt = [1, 2, 3].flatMap((f) => [gtRow(f, 1, B), gtRow(f, 2, shifted(B, 200))]);
    const r = evaluateMot(gt, gt.map((g) => tr(g.frame, g.id + 10, g.bbox)));
    assert.deepEqual([r.mota, r.motp, r.idf1, r.hota, r.deta, r.assa, r.loca], [1, 1, 1, 1, 1, 1, 1]);
    assert.deepEqual([r.tp, r.fp, r.fn, r.idsw, r.frag, r.mt, r.pt, r.ml], [6, 0, 0, 0, 0, 2, 0, 0]);
  });
  it("MOTA averages over boxes, not frames (figure 3 of Bernardin & Stiefelhagen's CLEAR MOT paper; py-motmetrics test_correct_average: 0.2)", () => {
    const boxes = [0, 1, 2, 3].map((k) => shifted(B, k * 100));
    const gt = [1, 2, 3, 4].flatMap((f) => boxes.map((b, k) => gtRow(f, k + 1, b)));
    gt.push(...[5, 6, 7, 8].map((f) => gtRow(f, 4, boxes[3])));
    const r = evaluateMot(gt, [5, 6, 7, 8].map((f) => tr(f, 4, boxes[3])));
    assert.ok(Math.abs(r.mota - 0.2) < 1e-12, String(r.mota));
  });
  it('empty frames: a gt-only frame is misses, a tracker-only frame false positives, an empty frame nothing', () => {
    const r = evaluateMot([gtRow(1, 1, B), gtRow(3, 1, B)], [tr(1, 1, B), tr(2, 1, B)], { numFrames: 5 });
    assert.deepEqual([r.tp, r.fn, r.fp, r.numFrames], [1, 1, 1, 5]);
    assert.equal(r.mota, (1 - 1 - 0) / 2);
  });
  it('no tracker output: every gt box missed, every gt track mostly lost, MOTA 0, HOTA 0, LocA 1', () => {
    const r = evaluateMot([gtRow(1, 1, B), gtRow(2, 1, B), gtRow(2, 2, shifted(B, 300))], []);
    assert.deepEqual([r.fn, r.fp, r.tp, r.ml, r.mota, r.idf1, r.hota, r.loca], [3, 0, 0, 2, 0, 0, 0, 1]);
  });
  it('no ground truth: every tracker box a false positive, MOTA -FP (TrackEval divides by max(1, gt))', () => {
    const r = evaluateMot([], [tr(1, 1, B), tr(2, 1, B)]);
    assert.deepEqual([r.fp, r.fn, r.mota, r.idf1, r.hota], [2, 0, -2, 0, 0]);
  });
  it('a duplicate tracker box on one person is one hit and one false positive', () => {
    const r = evaluateMot([gtRow(1, 1, B)], [tr(1, 1, B), tr(1, 2, shifted(B, 5))]);
    assert.deepEqual([r.tp, r.fp, r.fn], [1, 1, 0]);
  });
  it('IoU ≥ 0.5 matches, just below does not', () => {
    // Same height; shifting by w/3 gives IoU (2/3)/(4/3) = 0.5 exactly.
    const box: XywhBox = [0, 0, 30, 10];
    assert.equal(evaluateMot([gtRow(1, 1, box)], [tr(1, 1, [10, 0, 30, 10])]).tp, 1);
    assert.equal(evaluateMot([gtRow(1, 1, box)], [tr(1, 1, [10.01, 0, 30, 10])]).tp, 0);
  });
  it('an identity switch and a fragmentation', () => {
    const gt = [1, 2, 3, 4, 5].map((f) => gtRow(f, 1, B));
    // Frames 1-2 tracker id 7, frame 3 lost (the tracker's only box is elsewhere), frames 4-5 tracker id 8.
    const r = evaluateMot(gt, [tr(1, 7, B), tr(2, 7, B), tr(3, 9, shifted(B, 400)), tr(4, 8, B), tr(5, 8, B)]);
    assert.deepEqual([r.tp, r.fn, r.fp, r.idsw, r.frag, r.pt], [4, 1, 1, 1, 1, 1]);
    assert.equal(r.mota, (4 - 1 - 1) / 5);
    // The best single identity covers 2 of 5 gt frames and 2 of 5 tracker boxes.
    assert.deepEqual([r.idtp, r.idfn, r.idfp], [2, 3, 3]);
  });
  it('a frame with no tracker box at all does not break a track (TrackEval keeps the previous frame state)', () => {
    const gt = [1, 2, 3].map((f) => gtRow(f, 1, B));
    const r = evaluateMot(gt, [tr(1, 7, B), tr(3, 7, B)]);
    assert.deepEqual([r.tp, r.fn, r.frag, r.idsw], [2, 1, 0, 0]);
  });
  it('keeps an existing match over a better-overlapping newcomer (no needless switch)', () => {
    const gt = [gtRow(1, 1, B), gtRow(2, 1, B)];
    const r = evaluateMot(gt, [tr(1, 1, shifted(B, 10)), tr(2, 1, shifted(B, 10)), tr(2, 2, B)]);
    assert.deepEqual([r.idsw, r.tp, r.fp], [0, 2, 1]);
  });
  it('ignore regions: a tracker box on a distractor-class person (static, class 7) is removed, not a false positive', () => {
    const gt = [gtRow(1, 1, B), gtRow(1, 2, shifted(B, 300), 7, 0)];
    const r = evaluateMot(gt, [tr(1, 1, B), tr(1, 2, shifted(B, 302))]);
    assert.deepEqual([r.tp, r.fp, r.fn, r.numTrackerRemoved, r.numGtDets], [1, 0, 0, 1, 1]);
  });
  it('other classes are not evaluated: a car is no gt, and a box on it is a false positive (cars are not distractors)', () => {
    const gt = [gtRow(1, 1, B), gtRow(1, 2, shifted(B, 300), 3)];
    const r = evaluateMot(gt, [tr(1, 1, B), tr(1, 2, shifted(B, 300))]);
    assert.deepEqual([r.tp, r.fp, r.fn, r.numTrackerRemoved], [1, 1, 0, 0]);
  });
  it('zero-marked gt rows are dropped in every mode (TrackEval removes tracker boxes only on distractor classes)', () => {
    const gt = [gtRow(1, 1, B, 1, 0), gtRow(1, 2, shifted(B, 300), -1, 0)];
    assert.equal(evaluateMot(gt.slice(0, 1), [tr(1, 1, B)], { preprocess: 'mot17' }).fp, 1);
    assert.equal(evaluateMot(gt.slice(1), [tr(1, 1, B)], { preprocess: 'none' }).numGtDets, 0);
  });
  it('a tracker box over a pedestrian and a static person is matched to the better total overlap', () => {
    // The tracker box overlaps the pedestrian less than the static person; one-to-one matching pairs it with the
    // static person (IoU 1), so it is removed and the pedestrian is missed.
    const gt = [gtRow(1, 1, shifted(B, 20)), gtRow(1, 2, B, 7, 0)];
    const r = evaluateMot(gt, [tr(1, 1, B)]);
    assert.deepEqual([r.numTrackerRemoved, r.tp, r.fn, r.fp], [1, 0, 1, 0]);
  });
  it('MOT20 also treats non-MOT vehicles (class 6) as distractors', () => {
    const gt = [gtRow(1, 1, B, 6, 0)];
    assert.equal(evaluateMot(gt, [tr(1, 1, B)], { preprocess: 'mot17' }).fp, 1);
    assert.equal(evaluateMot(gt, [tr(1, 1, B)], { preprocess: 'mot20' }).fp, 0);
  });
  it('files without classes (all -1, MOT15) are evaluated without class handling by default; mot17 names the problem', () => {
    const gt = [gtRow(1, 1, B, -1)];
    assert.equal(evaluateMot(gt, [tr(1, 1, B)]).tp, 1);
    assert.throws(() => evaluateMot(gt, [tr(1, 1, B)], { preprocess: 'mot17' }), /class -1 is not a MOTChallenge class/);
  });
  it('bad input is named: an id twice in a frame, a frame past the sequence, a bad threshold', () => {
    assert.throws(() => evaluateMot([gtRow(1, 1, B), gtRow(1, 1, B)], []), /id 1 appears more than once in frame 1/);
    assert.throws(() => evaluateMot([], [tr(1, 4, B), tr(1, 4, B)]), /tracker output: id 4 appears more than once/);
    assert.throws(() => evaluateMot([gtRow(9, 1, B)], [], { numFrames: 5 }), /frame 9 is past the sequence's 5 frames/);
    assert.throws(() => evaluateMot([], [], { iouThreshold: 0 }), /iouThreshold 0/);
  });
});
