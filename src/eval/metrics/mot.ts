/**
 * MOTChallenge tracking evaluation: preprocessing (class filter, ignore regions) then CLEAR MOT, identity
 * metrics and HOTA, as TrackEval computes them; and the combination of several sequences (TrackEval's
 * combine_sequences: counts added, association scores weighted by true positives).
 */
import { clearScores, evaluateClear } from './clear';
import { evaluateHota, hotaCurve, type HotaCounts } from './hota';
import { evaluateIdentity, identityScores } from './identity';
import { prepareMotSequence } from './mot-data';
import type { MotEvalOptions, MotEvalResult, MotGtRow, MotTrackRow } from './types';

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

function assemble(
  clear: ReturnType<typeof clearScores>,
  identity: ReturnType<typeof identityScores>,
  curve: ReturnType<typeof hotaCurve>,
  counts: Pick<MotEvalResult, 'numFrames' | 'numGtDets' | 'numTrackerDets' | 'numGtIds' | 'numTrackerIds' | 'numTrackerRemoved'>,
): MotEvalResult {
  const { tp: htp, fn: hfn, fp: hfp, ...rest } = curve;
  return {
    mota: clear.mota,
    motp: clear.motp,
    moda: clear.moda,
    recall: clear.recall,
    precision: clear.precision,
    tp: clear.tp,
    fp: clear.fp,
    fn: clear.fn,
    idsw: clear.idsw,
    frag: clear.frag,
    mt: clear.mt,
    pt: clear.pt,
    ml: clear.ml,
    idf1: identity.idf1,
    idp: identity.idp,
    idr: identity.idr,
    idtp: identity.idtp,
    idfp: identity.idfp,
    idfn: identity.idfn,
    hota: mean(curve.hota),
    deta: mean(curve.deta),
    assa: mean(curve.assa),
    loca: mean(curve.loca),
    detre: mean(curve.detre),
    detpr: mean(curve.detpr),
    assre: mean(curve.assre),
    asspr: mean(curve.asspr),
    hota0: curve.hota[0],
    loca0: curve.loca[0],
    hotaCurve: { ...rest, tp: htp, fn: hfn, fp: hfp },
    motpSum: clear.motpSum,
    ...counts,
  };
}

/** Evaluates a tracker's output against MOTChallenge ground truth of one sequence. */
export function evaluateMot(gt: readonly MotGtRow[], tracker: readonly MotTrackRow[], opts: MotEvalOptions = {}): MotEvalResult {
  const threshold = opts.iouThreshold ?? 0.5;
  if (!(threshold > 0 && threshold <= 1)) {
    throw new Error(`iouThreshold ${threshold} is not in (0, 1]`);
  }
  const data = prepareMotSequence(gt, tracker, opts);
  return assemble(evaluateClear(data, threshold), evaluateIdentity(data, threshold), evaluateHota(data), {
    numFrames: data.numTimesteps,
    numGtDets: data.numGtDets,
    numTrackerDets: data.numTrackerDets,
    numGtIds: data.numGtIds,
    numTrackerIds: data.numTrackerIds,
    numTrackerRemoved: data.removedTrackerDets,
  });
}

/** Combines per-sequence results into one (ids are per sequence: MT/PT/ML and id counts add up). */
export function combineMot(results: readonly MotEvalResult[]): MotEvalResult {
  if (results.length === 0) {
    throw new Error('combineMot: no sequence results to combine');
  }
  const sum = (f: (r: MotEvalResult) => number): number => results.reduce((s, r) => s + f(r), 0);
  const clear = clearScores({
    tp: sum((r) => r.tp),
    fn: sum((r) => r.fn),
    fp: sum((r) => r.fp),
    idsw: sum((r) => r.idsw),
    mt: sum((r) => r.mt),
    pt: sum((r) => r.pt),
    ml: sum((r) => r.ml),
    frag: sum((r) => r.frag),
    motpSum: sum((r) => r.motpSum),
    frames: sum((r) => r.numFrames),
  });
  const identity = identityScores({ idtp: sum((r) => r.idtp), idfn: sum((r) => r.idfn), idfp: sum((r) => r.idfp) });
  const alphas = results[0].hotaCurve.alpha;
  const perAlpha = (f: (r: MotEvalResult, a: number) => number): number[] => alphas.map((_, a) => sum((r) => f(r, a)));
  const tp = perAlpha((r, a) => r.hotaCurve.tp[a]);
  const weighted = (key: 'assa' | 'assre' | 'asspr'): number[] =>
    perAlpha((r, a) => r.hotaCurve[key][a] * r.hotaCurve.tp[a]).map((s, a) => s / Math.max(1, tp[a]));
  const counts: HotaCounts = {
    tp,
    fn: perAlpha((r, a) => r.hotaCurve.fn[a]),
    fp: perAlpha((r, a) => r.hotaCurve.fp[a]),
    assa: weighted('assa'),
    assre: weighted('assre'),
    asspr: weighted('asspr'),
    loca: perAlpha((r, a) => r.hotaCurve.loca[a] * r.hotaCurve.tp[a]).map((s, a) => Math.max(1e-10, s) / Math.max(1e-10, tp[a])),
  };
  return assemble(clear, identity, hotaCurve(counts), {
    numFrames: sum((r) => r.numFrames),
    numGtDets: sum((r) => r.numGtDets),
    numTrackerDets: sum((r) => r.numTrackerDets),
    numGtIds: sum((r) => r.numGtIds),
    numTrackerIds: sum((r) => r.numTrackerIds),
    numTrackerRemoved: sum((r) => r.numTrackerRemoved),
  });
}
