/**
 * HOTA of one sequence as TrackEval computes it: per frame, gt and tracker boxes are matched (Hungarian) to
 * maximise IoU weighted by how well the two ids align over the whole sequence; then for each localisation
 * threshold alpha (0.05, 0.10, ... 0.95) matches below alpha are dropped and DetA = TP / (TP + FN + FP),
 * AssA = mean over true positives of the Jaccard overlap of their two tracks, HOTA = sqrt(DetA x AssA).
 * The reported values are the means over alpha.
 */
import { linearSumAssignment } from './assignment';
import { sumOverIdPairs, type MotSequenceData } from './mot-data';
import type { HotaCurve } from './types';

const EPS = Number.EPSILON;

/** The alphas: 0.05 + k x 0.05 for k = 0..18 (computed as numpy.arange does). */
export const HOTA_ALPHAS: readonly number[] = Array.from({ length: 19 }, (_, k) => 0.05 + k * 0.05);

/** Raw per-alpha HOTA counts with the association sums (they combine across sequences weighted by TP). */
export interface HotaCounts {
  tp: number[];
  fn: number[];
  fp: number[];
  assa: number[];
  assre: number[];
  asspr: number[];
  loca: number[];
}

const zeros = (): number[] => HOTA_ALPHAS.map(() => 0);

/** Final fields from counts (TrackEval's _compute_final_fields). */
export function hotaCurve(c: HotaCounts): HotaCurve & HotaCounts {
  const detre = c.tp.map((tp, a) => tp / Math.max(1, tp + c.fn[a]));
  const detpr = c.tp.map((tp, a) => tp / Math.max(1, tp + c.fp[a]));
  const deta = c.tp.map((tp, a) => tp / Math.max(1, tp + c.fn[a] + c.fp[a]));
  const hota = deta.map((d, a) => Math.sqrt(d * c.assa[a]));
  return { ...c, alpha: [...HOTA_ALPHAS], hota, deta, detre, detpr };
}

/** HOTA curve of one preprocessed sequence. */
export function evaluateHota(data: MotSequenceData): HotaCurve & HotaCounts {
  const A = HOTA_ALPHAS.length;
  const res: HotaCounts = { tp: zeros(), fn: zeros(), fp: zeros(), assa: zeros(), assre: zeros(), asspr: zeros(), loca: zeros() };
  if (data.numTrackerDets === 0 || data.numGtDets === 0) {
    const n = data.numTrackerDets === 0 ? data.numGtDets : data.numTrackerDets;
    const counts = HOTA_ALPHAS.map(() => n);
    return hotaCurve({ ...res, fn: data.numTrackerDets === 0 ? counts : zeros(), fp: data.numTrackerDets === 0 ? zeros() : counts, loca: HOTA_ALPHAS.map(() => 1) });
  }
  const ng = data.numGtIds;
  const nt = data.numTrackerIds;
  // A pair of boxes scores its IoU over the union of both boxes' IoU mass in the frame (TrackEval's potential matches).
  const { potential, gtCount, trCount } = sumOverIdPairs(data, (sim) => {
    const colSum = new Float64Array(sim.cols);
    const rowSum = new Float64Array(sim.rows);
    for (let i = 0; i < sim.rows; i++) {
      for (let j = 0; j < sim.cols; j++) {
        const s = sim.data[i * sim.cols + j];
        rowSum[i] += s;
        colSum[j] += s;
      }
    }
    return (i, j) => {
      const s = sim.data[i * sim.cols + j];
      const denom = colSum[j] + rowSum[i] - s;
      return denom > 0 + EPS ? s / denom : 0;
    };
  });
  const alignment = new Float64Array(ng * nt);
  for (let g = 0; g < ng; g++) {
    for (let k = 0; k < nt; k++) {
      const p = potential[g * nt + k];
      alignment[g * nt + k] = p / (gtCount[g] + trCount[k] - p);
    }
  }
  // Per (gt id, tracker id) pair that ever matched: match counts per alpha (sparse: ids can number thousands).
  const matches = new Map<number, Float64Array>();
  for (let t = 0; t < data.numTimesteps; t++) {
    const gtIds = data.gtIds[t];
    const trIds = data.trackerIds[t];
    if (gtIds.length === 0 || trIds.length === 0) {
      for (let a = 0; a < A; a++) {
        res.fp[a] += trIds.length;
        res.fn[a] += gtIds.length;
      }
      continue;
    }
    const sim = data.similarity[t];
    const score = { rows: sim.rows, cols: sim.cols, data: new Float64Array(sim.data.length) };
    for (let i = 0; i < sim.rows; i++) {
      for (let j = 0; j < sim.cols; j++) {
        score.data[i * sim.cols + j] = alignment[gtIds[i] * nt + trIds[j]] * sim.data[i * sim.cols + j];
      }
    }
    const match = linearSumAssignment(score, true);
    for (let a = 0; a < A; a++) {
      let num = 0;
      let locSum = 0;
      match.rows.forEach((r, k) => {
        const c = match.cols[k];
        const s = sim.data[r * sim.cols + c];
        if (s >= HOTA_ALPHAS[a] - EPS) {
          num++;
          locSum += s;
          const pair = gtIds[r] * nt + trIds[c];
          let counts = matches.get(pair);
          if (!counts) {
            counts = new Float64Array(A);
            matches.set(pair, counts);
          }
          counts[a]++;
        }
      });
      res.tp[a] += num;
      res.fn[a] += gtIds.length - num;
      res.fp[a] += trIds.length - num;
      res.loca[a] += locSum;
    }
  }
  for (let a = 0; a < A; a++) {
    let assa = 0;
    let assre = 0;
    let asspr = 0;
    for (const [pair, counts] of matches) {
      const x = counts[a];
      if (x === 0) {
        continue;
      }
      const g = Math.floor(pair / nt);
      const k = pair - g * nt;
      assa += (x * x) / Math.max(1, gtCount[g] + trCount[k] - x);
      assre += (x * x) / Math.max(1, gtCount[g]);
      asspr += (x * x) / Math.max(1, trCount[k]);
    }
    const tp = Math.max(1, res.tp[a]);
    res.assa[a] = assa / tp;
    res.assre[a] = assre / tp;
    res.asspr[a] = asspr / tp;
    res.loca[a] = Math.max(1e-10, res.loca[a]) / Math.max(1e-10, res.tp[a]);
  }
  return hotaCurve(res);
}
