/**
 * TrackEval's own metric tests (tests/test_metrics.py: no_confusion, with_confusion, split_tracks), ported: dense
 * similarity and presence tables per frame, and the CLEAR and Identity values TrackEval's test expects.
 */
import assert from 'node:assert/strict';
import { evaluateClear } from '../../src/eval/metrics/clear';
import { evaluateIdentity } from '../../src/eval/metrics/identity';
import type { MotSequenceData } from '../../src/eval/metrics/mot-data';

/** sim[t][g][k], present as [id][t] rows (TrackEval's _from_dense). */
function fromDense(T: number, G: number, K: number, gtPresent: number[][], trPresent: number[][], pairs: Array<[number, number, number[]]>): MotSequenceData {
  const gtIds: Int32Array[] = [];
  const trackerIds: Int32Array[] = [];
  const similarity = [];
  for (let t = 0; t < T; t++) {
    const g = [...Array(G).keys()].filter((i) => gtPresent[i][t]);
    const k = [...Array(K).keys()].filter((j) => trPresent[j][t]);
    const data = new Float64Array(g.length * k.length);
    g.forEach((gi, r) =>
      k.forEach((kj, c) => {
        const pair = pairs.find(([pg, pk]) => pg === gi && pk === kj);
        data[r * k.length + c] = pair ? pair[2][t] : 0;
      }),
    );
    gtIds.push(Int32Array.from(g));
    trackerIds.push(Int32Array.from(k));
    similarity.push({ rows: g.length, cols: k.length, data });
  }
  const count = (p: number[][]): number => p.flat().reduce((s, x) => s + x, 0);
  return { numTimesteps: T, numGtIds: G, numTrackerIds: K, numGtDets: count(gtPresent), numTrackerDets: count(trPresent), gtIds, trackerIds, similarity, removedTrackerDets: 0 };
}

const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

describe("TrackEval's metric test cases", () => {
  const gtPresent = [
    [1, 1, 1, 1, 1],
    [1, 1, 1, 0, 0],
  ];
  const trPresent = [
    [1, 1, 1, 1, 0],
    [1, 1, 1, 1, 1],
  ];
  const base: Array<[number, number, number[]]> = [
    [0, 1, [0, 0, 0, 1, 1]],
    [1, 0, [1, 1, 0, 0, 0]],
  ];
  it('no_confusion', () => {
    const data = fromDense(5, 2, 2, gtPresent, trPresent, base);
    const c = evaluateClear(data);
    assert.deepEqual([c.tp, c.fn, c.fp, c.idsw], [4, 4, 5, 0]);
    close(c.mota, 1 - 9 / 8, 'MOTA');
    const i = evaluateIdentity(data);
    assert.deepEqual([i.idtp, i.idfn, i.idfp], [4, 4, 5]);
    close(i.idr, 4 / 8, 'IDR');
    close(i.idp, 4 / 9, 'IDP');
    close(i.idf1, (2 * 4) / 17, 'IDF1');
  });
  it('with_confusion', () => {
    const data = fromDense(5, 2, 2, gtPresent, trPresent, [...base, [0, 0, [0, 0, 1, 0, 0]], [1, 1, [0, 1, 0, 0, 0]]]);
    const c = evaluateClear(data);
    assert.deepEqual([c.tp, c.fn, c.fp, c.idsw], [5, 3, 4, 1]);
    close(c.mota, 1 - 8 / 8, 'MOTA');
    const i = evaluateIdentity(data);
    assert.deepEqual([i.idtp, i.idfn, i.idfp], [4, 4, 5]);
    close(i.idf1, (2 * 4) / 17, 'IDF1');
  });
  it('split_tracks', () => {
    const data = fromDense(
      5,
      2,
      5,
      [
        [1, 1, 0, 1, 1],
        [1, 1, 1, 1, 1],
      ],
      [
        [1, 1, 0, 0, 0],
        [0, 0, 1, 1, 1],
        [0, 0, 0, 0, 1],
        [0, 0, 1, 1, 1],
        [1, 1, 0, 0, 0],
      ],
      [
        [0, 0, [1, 1, 0, 0, 0]],
        [0, 3, [0, 0, 0, 1, 1]],
        [1, 1, [0, 0, 1, 1, 0]],
        [1, 2, [0, 0, 0, 0, 1]],
        [1, 4, [1, 1, 0, 0, 0]],
      ],
    );
    const c = evaluateClear(data);
    assert.deepEqual([c.tp, c.fn, c.fp, c.idsw], [9, 0, 2, 3]);
    close(c.mota, 1 - 5 / 9, 'MOTA');
    const i = evaluateIdentity(data);
    assert.deepEqual([i.idtp, i.idfn, i.idfp], [4, 5, 7]);
    close(i.idr, 4 / 9, 'IDR');
    close(i.idp, 4 / 11, 'IDP');
    close(i.idf1, (2 * 4) / 20, 'IDF1');
  });
});
