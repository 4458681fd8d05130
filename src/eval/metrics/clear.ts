/**
 * CLEAR MOT metrics of one sequence as TrackEval computes them: per frame, a Hungarian matching at IoU ≥ the
 * threshold that first keeps the pairs of the previous frame (bonus 1000) and then maximises total IoU; an ID
 * switch is a gt matched to another tracker id than the one it was last matched to (any number of frames ago);
 * a fragmentation is a gt track resuming after an interruption; MT / ML are gt tracks matched in more than 80 % /
 * less than 20 % of their frames.
 */
import { linearSumAssignment } from './assignment';
import type { MotSequenceData } from './mot-data';

const EPS = Number.EPSILON;

/** Raw CLEAR counts (they add up across sequences). */
export interface ClearCounts {
  tp: number;
  fn: number;
  fp: number;
  idsw: number;
  mt: number;
  pt: number;
  ml: number;
  frag: number;
  motpSum: number;
  frames: number;
}

/** CLEAR counts and scores. */
export interface ClearResult extends ClearCounts {
  mota: number;
  motp: number;
  moda: number;
  recall: number;
  precision: number;
}

/** Scores from counts (TrackEval's final fields). */
export function clearScores(c: ClearCounts): ClearResult {
  const gtDets = Math.max(1, c.tp + c.fn);
  return {
    ...c,
    mota: (c.tp - c.fp - c.idsw) / gtDets,
    moda: (c.tp - c.fp) / gtDets,
    motp: c.motpSum / Math.max(1, c.tp),
    recall: c.tp / gtDets,
    precision: c.tp / Math.max(1, c.tp + c.fp),
  };
}

/** CLEAR metrics of one preprocessed sequence at IoU threshold `threshold`. */
export function evaluateClear(data: MotSequenceData, threshold = 0.5): ClearResult {
  const res: ClearCounts = { tp: 0, fn: 0, fp: 0, idsw: 0, mt: 0, pt: 0, ml: 0, frag: 0, motpSum: 0, frames: data.numTimesteps };
  if (data.numTrackerDets === 0) {
    return clearScores({ ...res, fn: data.numGtDets, ml: data.numGtIds });
  }
  if (data.numGtDets === 0) {
    return clearScores({ ...res, fp: data.numTrackerDets });
  }
  const n = data.numGtIds;
  const gtIdCount = new Float64Array(n);
  const gtMatchedCount = new Float64Array(n);
  const gtFragCount = new Float64Array(n);
  const prevTrackerId = new Float64Array(n).fill(NaN);
  let prevTimestepTrackerId = new Float64Array(n).fill(NaN);

  for (let t = 0; t < data.numTimesteps; t++) {
    const gtIds = data.gtIds[t];
    const trIds = data.trackerIds[t];
    if (gtIds.length === 0) {
      res.fp += trIds.length;
      continue;
    }
    if (trIds.length === 0) {
      res.fn += gtIds.length;
      gtIds.forEach((g) => gtIdCount[g]++);
      continue;
    }
    const sim = data.similarity[t];
    const score = { rows: sim.rows, cols: sim.cols, data: new Float64Array(sim.data.length) };
    for (let i = 0; i < sim.rows; i++) {
      for (let j = 0; j < sim.cols; j++) {
        const s = sim.data[i * sim.cols + j];
        score.data[i * sim.cols + j] = s < threshold - EPS ? 0 : (trIds[j] === prevTimestepTrackerId[gtIds[i]] ? 1000 : 0) + s;
      }
    }
    const match = linearSumAssignment(score, true);
    const matchedGt: number[] = [];
    const matchedTr: number[] = [];
    let simSum = 0;
    match.rows.forEach((r, k) => {
      const c = match.cols[k];
      if (score.data[r * score.cols + c] > 0 + EPS) {
        matchedGt.push(gtIds[r]);
        matchedTr.push(trIds[c]);
        simSum += sim.data[r * sim.cols + c];
      }
    });
    matchedGt.forEach((g, k) => {
      const prev = prevTrackerId[g];
      if (!Number.isNaN(prev) && prev !== matchedTr[k]) {
        res.idsw++;
      }
    });
    gtIds.forEach((g) => gtIdCount[g]++);
    matchedGt.forEach((g) => gtMatchedCount[g]++);
    const notPreviouslyTracked = prevTimestepTrackerId.map((x) => (Number.isNaN(x) ? 1 : 0));
    matchedGt.forEach((g, k) => (prevTrackerId[g] = matchedTr[k]));
    prevTimestepTrackerId = new Float64Array(n).fill(NaN);
    matchedGt.forEach((g, k) => (prevTimestepTrackerId[g] = matchedTr[k]));
    for (let g = 0; g < n; g++) {
      if (notPreviouslyTracked[g] && !Number.isNaN(prevTimestepTrackerId[g])) {
        gtFragCount[g]++;
      }
    }
    res.tp += matchedGt.length;
    res.fn += gtIds.length - matchedGt.length;
    res.fp += trIds.length - matchedGt.length;
    res.motpSum += simSum;
  }
  for (let g = 0; g < n; g++) {
    if (gtIdCount[g] > 0) {
      const ratio = gtMatchedCount[g] / gtIdCount[g];
      if (ratio > 0.8) {
        res.mt++;
      } else if (ratio >= 0.2) {
        res.pt++;
      }
    }
    if (gtFragCount[g] > 0) {
      res.frag += gtFragCount[g] - 1;
    }
  }
  res.ml = n - res.mt - res.pt;
  return clearScores(res);
}
