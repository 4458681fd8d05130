import assert from 'node:assert/strict';
import { boxDistance, dbscanCluster, dbscanLabels, DEEPSTREAM_ATHR_THRESHOLD, type DbscanParams } from '../../src/detect/dbscan';
import type { Candidate } from '../../src/detect/nms';
import { cluster, compileFilter, postprocess, type PostprocessOptions } from '../../src/detect/postprocess';
import { frameTransform } from '../../src/detect/preprocess';

const c = (classId: number, score: number, x1: number, y1: number, x2: number, y2: number): Candidate => ({ classId, score, x1, y1, x2, y2 });
const same = (p: DbscanParams) => () => p;
const boxes = (cs: readonly Candidate[]) => cs.map((x) => [x.classId, x.score, x.x1, x.y1, x.x2, x.y2]);

/**
 * One object seen by three grid cells: mutual distances 0.174 (A-B), 0.095 (A-C), 0.246 (B-C). Scores sum to 1, so
 * the confidence-weighted box is exact: left 0.5·10 + 0.25·12 + 0.25·10 = 10.5, top 0.5·10 + 0.25·10 + 0.25·14 = 11,
 * width 0.5·40 + 0.25·44 + 0.25·40 = 41, height 80. (The unweighted mean would be [10.67, 11.33, 52, 91.33].)
 */
const A = c(0, 0.5, 10, 10, 50, 90);
const B = c(0, 0.25, 12, 10, 56, 90);
const C = c(0, 0.25, 10, 14, 50, 94);
const GROUP_BOX = [0, 0.5, 10.5, 11, 51.5, 91];
const shift = (x: Candidate, dx: number, score = x.score): Candidate => ({ ...x, score, x1: x.x1 + dx, x2: x.x2 + dx });

describe('dbscan (DeepStream nvdsinfer DBSCAN)', () => {
  describe('#boxDistance', () => {
    it('is 1 - IoU: 0 for identical boxes, 1 for disjoint or edge-touching ones, 0.5 for a box covering half of another', () => {
      assert.equal(boxDistance(c(0, 1, 0, 0, 10, 10), c(0, 1, 0, 0, 10, 10)), 0);
      assert.equal(boxDistance(c(0, 1, 0, 0, 10, 10), c(0, 1, 20, 0, 30, 10)), 1);
      assert.equal(boxDistance(c(0, 1, 0, 0, 10, 10), c(0, 1, 10, 0, 20, 10)), 1);
      assert.equal(boxDistance(c(0, 1, 0, 0, 10, 10), c(0, 1, 0, 0, 10, 20)), 0.5);
      assert.ok(Math.abs(boxDistance(A, B) - (1 - 3040 / 3680)) < 1e-12);
    });
    it('is NaN for two boxes without area (never neighbours: NaN < eps is false)', () => {
      assert.ok(Number.isNaN(boxDistance(c(0, 1, 5, 5, 5, 5), c(0, 1, 5, 5, 5, 5))));
      assert.deepEqual([...dbscanLabels([c(0, 1, 5, 5, 5, 5), c(0, 1, 5, 5, 5, 5)], 1, 2).labels], [-1, -1]);
    });
  });

  describe('#dbscanCluster (cluster-mode=1)', () => {
    it('merges a dense group into one box weighted by confidence, scored with the highest member score', () => {
      const out = dbscanCluster([A, B, C], same({ eps: 0.7, minBoxes: 3, minScore: 0 }));
      assert.deepEqual(boxes(out), [GROUP_BOX]);
    });

    it('drops boxes whose neighbourhood is smaller than minBoxes (neighbours + itself)', () => {
      const lone = c(0, 0.99, 300, 300, 340, 380);
      assert.deepEqual(boxes(dbscanCluster([A, B, lone], same({ eps: 0.7, minBoxes: 3, minScore: 0 }))), []);
      // A pair is enough with minBoxes 2: weighted left (0.5·10 + 0.25·12) / 0.75 = 10.667, width 41.333.
      const pair = dbscanCluster([A, B, lone], same({ eps: 0.7, minBoxes: 2, minScore: 0 }));
      assert.equal(pair.length, 1);
      assert.deepEqual([pair[0].score, pair[0].y1, pair[0].y2], [0.5, 10, 90]);
      assert.ok(Math.abs(pair[0].x1 - 8 / 0.75) < 1e-12 && Math.abs(pair[0].x2 - (8 + 31) / 0.75) < 1e-12);
      // minBoxes 1: every box is core, the lone box stays on its own.
      assert.deepEqual(boxes(dbscanCluster([lone], same({ eps: 0.7, minBoxes: 1, minScore: 0 }))), [[0, 0.99, 300, 300, 340, 380]]);
    });

    it('keeps two separate groups separate, in order of discovery', () => {
      const far = [A, B, C].map((x, i) => shift(x, 200, [0.2, 0.1, 0.1][i]));
      const out = dbscanCluster([A, far[0], B, far[1], C, far[2]], same({ eps: 0.7, minBoxes: 3, minScore: 0 }));
      assert.deepEqual(boxes(out), [GROUP_BOX, [0, 0.2, 210.5, 11, 251.5, 91]]);
    });

    it('clusters each class on its own with its own parameters', () => {
      // A "bag" box lying on the person group: not a neighbour of anything in class 0, alone in class 1.
      const bag = c(1, 0.99, 10, 10, 50, 90);
      const p = (id: number): DbscanParams => (id === 1 ? { eps: 0.7, minBoxes: 1, minScore: 0 } : { eps: 0.7, minBoxes: 3, minScore: 0 });
      assert.deepEqual(boxes(dbscanCluster([A, bag, B, C], p)), [GROUP_BOX, [1, 0.99, 10, 10, 50, 90]]);
      assert.deepEqual(boxes(dbscanCluster([A, bag, B, C], same({ eps: 0.7, minBoxes: 3, minScore: 0 }))), [GROUP_BOX]);
      // Two classes with two boxes each never form a 3-box cluster together.
      const mixed = [A, B, { ...C, classId: 1 }, { ...A, classId: 1 }];
      assert.deepEqual(dbscanCluster(mixed, same({ eps: 0.7, minBoxes: 3, minScore: 0 })), []);
    });

    it('passes a class through unclustered when its minBoxes is 0 (nvinfer skips DBSCAN then)', () => {
      const p = (id: number): DbscanParams => ({ eps: 0.7, minBoxes: id === 0 ? 0 : 3, minScore: 0 });
      assert.deepEqual(dbscanCluster([A, B, C, c(1, 0.9, 0, 0, 5, 5)], p), [A, B, C]);
    });

    it('drops clusters whose summed confidence is below minScore (dbscan-min-score)', () => {
      // The group's scores sum to exactly 1.
      assert.deepEqual(boxes(dbscanCluster([A, B, C], same({ eps: 0.7, minBoxes: 3, minScore: 1 }))), [GROUP_BOX]);
      assert.deepEqual(dbscanCluster([A, B, C], same({ eps: 0.7, minBoxes: 3, minScore: 1.01 })), []);
    });

    it("applies nvinfer's area-to-hit-ratio filter: sqrt(area) / (members + 1) > 60 drops the cluster", () => {
      assert.equal(DEEPSTREAM_ATHR_THRESHOLD, 60);
      const p = same({ eps: 0.7, minBoxes: 1, minScore: 0 });
      // One member: 120 x 120 gives exactly 60 (kept), 130 x 130 gives 65 (dropped).
      assert.equal(dbscanCluster([c(0, 0.9, 0, 0, 120, 120)], p).length, 1);
      assert.deepEqual(dbscanCluster([c(0, 0.9, 0, 0, 130, 130)], p), []);
      assert.equal(dbscanCluster([c(0, 0.9, 0, 0, 130, 130)], p, { athrThreshold: null }).length, 1);
      // Two identical members: 65 · 2 = 130 / 3 = 43.3 (kept); 190 x 190 gives 63.3 (dropped).
      assert.equal(dbscanCluster([c(0, 0.9, 0, 0, 130, 130), c(0, 0.8, 0, 0, 130, 130)], p).length, 1);
      assert.deepEqual(dbscanCluster([c(0, 0.9, 0, 0, 190, 190), c(0, 0.8, 0, 0, 190, 190)], p), []);
    });

    it('uses a strict eps: a distance equal to eps is not a neighbour; eps 0 merges nothing, not even identical boxes', () => {
      const a = c(0, 0.5, 0, 0, 10, 10);
      const b = c(0, 0.5, 0, 0, 10, 20); // distance exactly 0.5
      assert.deepEqual([...dbscanLabels([a, b], 0.5, 2).labels], [-1, -1]);
      assert.deepEqual([...dbscanLabels([a, b], 0.5000001, 2).labels], [0, 0]);
      assert.deepEqual(boxes(dbscanCluster([a, b], same({ eps: 0.5000001, minBoxes: 2, minScore: 0 }))), [[0, 0.5, 0, 0, 10, 15]]);
      assert.deepEqual([...dbscanLabels([a, { ...a }], 0, 1).labels], [0, 1]);
      assert.deepEqual(dbscanCluster([a, { ...a }], same({ eps: 0, minBoxes: 2, minScore: 0 })), []);
      // eps 1: any overlap joins, boxes that only touch (distance exactly 1) do not.
      assert.deepEqual([...dbscanLabels([a, c(0, 1, 9.9, 0, 20, 10)], 1, 2).labels], [0, 0]);
      assert.deepEqual([...dbscanLabels([a, c(0, 1, 10, 0, 20, 10)], 1, 2).labels], [-1, -1]);
    });

    it("follows DeepStream's one-hop expansion: neighbours of neighbours start their own cluster", () => {
      // A~B (0.571), B~C (0.571), A and C too far apart (0.889). Textbook DBSCAN: one cluster {A, B, C}.
      const a = c(0, 0.5, 0, 0, 10, 10);
      const b = c(0, 0.5, 4, 0, 14, 10);
      const cc = c(0, 0.5, 8, 0, 18, 10);
      assert.deepEqual(dbscanLabels([a, b, cc], 0.7, 2), { labels: Int32Array.from([0, 0, 1]), clusters: 2 });
      assert.deepEqual(boxes(dbscanCluster([a, b, cc], same({ eps: 0.7, minBoxes: 2, minScore: 0 }))), [
        [0, 0.5, 2, 0, 12, 10],
        [0, 0.5, 8, 0, 18, 10],
      ]);
    });

    it('leaves border boxes (neighbours of a core box that are not core themselves) out of every cluster', () => {
      const a = c(0, 0.5, 0, 0, 10, 10);
      const b = c(0, 0.25, 0, 2, 10, 12);
      const cc = c(0, 0.25, 2, 0, 12, 10);
      const border = c(0, 0.9, -5, 0, 5, 10); // neighbour of a only (0.667); 0.75 from b, 0.82 from cc
      assert.deepEqual([...dbscanLabels([a, b, cc, border], 0.7, 3).labels], [0, 0, 0, -1]);
      assert.deepEqual([...dbscanLabels([border, a, b, cc], 0.7, 3).labels], [-1, 0, 0, 0]);
      assert.deepEqual(boxes(dbscanCluster([a, b, cc, border], same({ eps: 0.7, minBoxes: 3, minScore: 0 }))), [[0, 0.5, 0.5, 0.5, 10.5, 10.5]]);
    });

    it('returns nothing for no candidates', () => {
      assert.deepEqual(dbscanCluster([], same({ eps: 0.7, minBoxes: 3, minScore: 0 })), []);
      assert.deepEqual(dbscanCluster([], same({ eps: 0.7, minBoxes: 3, minScore: 0 }), { hybrid: true }), []);
      assert.deepEqual(dbscanLabels([], 0.7, 3), { labels: new Int32Array(0), clusters: 0 });
    });
  });

  describe('#dbscanCluster hybrid (cluster-mode=3, DBSCAN part)', () => {
    it('keeps the clustered boxes unchanged and in input order, drops the outliers, applies neither minScore nor ATHR', () => {
      const lone = c(0, 0.99, 300, 300, 340, 380);
      const big = [c(0, 0.9, 500, 0, 700, 200), c(0, 0.8, 500, 0, 700, 200)];
      const out = dbscanCluster([lone, A, B, ...big, C], same({ eps: 0.7, minBoxes: 2, minScore: 5 }), { hybrid: true });
      assert.deepEqual(out, [A, B, ...big, C]);
    });
  });
});

describe('postprocess clustering modes', () => {
  const lone = c(0, 0.99, 300, 300, 340, 380);
  const base: PostprocessOptions = { labels: ['person', 'bag'], scoreThreshold: 0.1, classThresholds: {}, nmsIou: 0.5 };
  const dbscan = (mode: 'dbscan' | 'dbscan+nms', extra: Partial<NonNullable<PostprocessOptions['cluster']>> = {}): PostprocessOptions => ({
    ...base,
    cluster: { mode, eps: 0.7, minBoxes: 3, minScore: 0, ...extra },
  });
  const run = (opts: PostprocessOptions, cs: readonly Candidate[]) => boxes(cluster(cs, compileFilter(opts, 2), opts));

  it('nms (default, and mode nms): the best box of each overlapping group, outliers kept', () => {
    const expected = [[0, 0.99, 300, 300, 340, 380], [0, 0.5, 10, 10, 50, 90]];
    assert.deepEqual(run(base, [A, B, C, lone]), expected);
    assert.deepEqual(run({ ...base, cluster: { mode: 'nms', eps: 0.7, minBoxes: 3, minScore: 0 } }, [A, B, C, lone]), expected);
  });

  it('dbscan: merged clusters sorted by score, outliers gone, capped at maxDetections', () => {
    // Second group: scores 0.75/0.125/0.125 give left 210.25, top 10.5, width 40.5, height 80.
    const far = [A, B, C].map((x, i) => shift(x, 200, [0.75, 0.125, 0.125][i]));
    const farBox = [0, 0.75, 210.25, 10.5, 250.75, 90.5];
    assert.deepEqual(run(dbscan('dbscan'), [A, B, C, lone, ...far]), [farBox, GROUP_BOX]);
    assert.deepEqual(run({ ...dbscan('dbscan'), maxDetections: 1 }, [A, B, C, lone, ...far]), [farBox]);
  });

  it('dbscan+nms: outliers removed by DBSCAN, then NMS keeps the best unmerged member', () => {
    assert.deepEqual(run(dbscan('dbscan+nms'), [A, B, C, lone]), [[0, 0.5, 10, 10, 50, 90]]);
  });

  it('perClass overrides the parameters by label', () => {
    const bag = c(1, 0.6, 100, 100, 120, 120);
    assert.deepEqual(run(dbscan('dbscan'), [A, B, C, bag]), [GROUP_BOX]);
    assert.deepEqual(run(dbscan('dbscan', { perClass: { bag: { minBoxes: 1 } } }), [A, B, C, bag]), [[1, 0.6, 100, 100, 120, 120], GROUP_BOX]);
    const f = compileFilter(dbscan('dbscan', { perClass: { bag: { eps: 0.3 }, nosuchlabel: { minBoxes: 9 } } }), 2);
    assert.deepEqual(f.dbscan, [
      { eps: 0.7, minBoxes: 3, minScore: 0 },
      { eps: 0.3, minBoxes: 3, minScore: 0 },
    ]);
    assert.equal(compileFilter(base, 2).dbscan, undefined);
  });

  it('applies score thresholds before clustering and maps the merged box to the frame', () => {
    const t = frameTransform(200, 100, { width: 100, height: 100, mode: 'resize', channelOrder: 'rgb', mean: [0, 0, 0], scale: [1, 1, 1] });
    const opts = dbscan('dbscan');
    const dets = postprocess([A, B, C, c(0, 0.05, 10, 10, 50, 90)], compileFilter(opts, 2), opts, t);
    assert.deepEqual(dets, [{ label: 'person', classId: 0, score: 0.5, box: [0.105, 0.11, 0.515, 0.91] }]);
    // With the C box under its class threshold, the pair is below minBoxes 3: nothing.
    const strict = { ...opts, classThresholds: { person: 0.3 } };
    assert.deepEqual(postprocess([A, B, C], compileFilter(strict, 2), strict, t), []);
  });
});
