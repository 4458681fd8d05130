/**
 * Identity metrics (IDF1, IDP, IDR) of one sequence as TrackEval computes them: gt ids and tracker ids are
 * matched one-to-one over the whole sequence by a min-cost assignment that minimises IDFN + IDFP, where a gt id
 * and a tracker id agree in the frames where their boxes overlap at IoU ≥ the threshold.
 */
import { linearSumAssignment, matrix } from './assignment';
import type { MotSequenceData } from './mot-data';

/** Raw identity counts (they add up across sequences). */
export interface IdentityCounts {
  idtp: number;
  idfn: number;
  idfp: number;
}

export interface IdentityResult extends IdentityCounts {
  idf1: number;
  idp: number;
  idr: number;
}

export function identityScores(c: IdentityCounts): IdentityResult {
  return {
    ...c,
    idr: c.idtp / Math.max(1, c.idtp + c.idfn),
    idp: c.idtp / Math.max(1, c.idtp + c.idfp),
    idf1: c.idtp / Math.max(1, c.idtp + 0.5 * c.idfp + 0.5 * c.idfn),
  };
}

/** Identity metrics of one preprocessed sequence. */
export function evaluateIdentity(data: MotSequenceData, threshold = 0.5): IdentityResult {
  if (data.numTrackerDets === 0) {
    return identityScores({ idtp: 0, idfn: data.numGtDets, idfp: 0 });
  }
  if (data.numGtDets === 0) {
    return identityScores({ idtp: 0, idfn: 0, idfp: data.numTrackerDets });
  }
  const ng = data.numGtIds;
  const nt = data.numTrackerIds;
  const potential = new Float64Array(ng * nt);
  const gtCount = new Float64Array(ng);
  const trCount = new Float64Array(nt);
  for (let t = 0; t < data.numTimesteps; t++) {
    const gtIds = data.gtIds[t];
    const trIds = data.trackerIds[t];
    const sim = data.similarity[t];
    for (let i = 0; i < sim.rows; i++) {
      for (let j = 0; j < sim.cols; j++) {
        if (sim.data[i * sim.cols + j] >= threshold) {
          potential[gtIds[i] * nt + trIds[j]]++;
        }
      }
    }
    gtIds.forEach((g) => gtCount[g]++);
    trIds.forEach((k) => trCount[k]++);
  }
  // Square (ng + nt) problem: gt ids may stay unmatched (cost: their frames are missed), tracker ids too.
  const size = ng + nt;
  const fp = matrix(size, size);
  const fn = matrix(size, size);
  for (let r = ng; r < size; r++) {
    for (let c = 0; c < nt; c++) {
      fp.data[r * size + c] = 1e10;
    }
  }
  for (let r = 0; r < ng; r++) {
    for (let c = nt; c < size; c++) {
      fn.data[r * size + c] = 1e10;
    }
  }
  for (let g = 0; g < ng; g++) {
    for (let c = 0; c < nt; c++) {
      fn.data[g * size + c] = gtCount[g];
    }
    fn.data[g * size + nt + g] = gtCount[g];
  }
  for (let k = 0; k < nt; k++) {
    for (let r = 0; r < ng; r++) {
      fp.data[r * size + k] = trCount[k];
    }
    fp.data[(k + ng) * size + k] = trCount[k];
  }
  for (let g = 0; g < ng; g++) {
    for (let k = 0; k < nt; k++) {
      fn.data[g * size + k] -= potential[g * nt + k];
      fp.data[g * size + k] -= potential[g * nt + k];
    }
  }
  const cost = matrix(size, size);
  for (let x = 0; x < cost.data.length; x++) {
    cost.data[x] = fn.data[x] + fp.data[x];
  }
  const match = linearSumAssignment(cost);
  let idfn = 0;
  let idfp = 0;
  match.rows.forEach((r, k) => {
    idfn += fn.data[r * size + match.cols[k]];
    idfp += fp.data[r * size + match.cols[k]];
  });
  const totalGt = gtCount.reduce((s, x) => s + x, 0);
  return identityScores({ idtp: Math.trunc(totalGt - Math.trunc(idfn)), idfn: Math.trunc(idfn), idfp: Math.trunc(idfp) });
}
