/**
 * Identity metrics (IDF1, IDP, IDR) of one sequence as TrackEval computes them: gt ids and tracker ids are
 * matched one-to-one over the whole sequence by a min-cost assignment that minimises IDFN + IDFP, where a gt id
 * and a tracker id agree in the frames where their boxes overlap at IoU ≥ the threshold.
 */
import { linearSumAssignment } from './assignment';
import { sumOverIdPairs, type MotSequenceData } from './mot-data';

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
  // A pair of boxes counts 1 in the frames where they overlap at IoU >= the threshold.
  const { potential, gtCount, trCount } = sumOverIdPairs(data, (sim) => (i, j) => (sim.data[i * sim.cols + j] >= threshold ? 1 : 0));
  // TrackEval solves a square (ng + nt) problem in which a gt id or a tracker id may stay unmatched; its cost is
  // the total number of boxes minus twice the matched overlaps, so the optimum is the gt x tracker matching of
  // largest total overlap (IDTP). Solving that rectangular problem gives the same counts with far less work.
  const match = linearSumAssignment({ rows: ng, cols: nt, data: potential }, true);
  let idtp = 0;
  match.rows.forEach((g, k) => (idtp += potential[g * nt + match.cols[k]]));
  const totalGt = gtCount.reduce((s, x) => s + x, 0);
  const totalTr = trCount.reduce((s, x) => s + x, 0);
  return identityScores({ idtp, idfn: totalGt - idtp, idfp: totalTr - idtp });
}
