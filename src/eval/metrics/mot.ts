/**
 * MOTChallenge tracking evaluation: preprocessing (class filter, ignore regions) then CLEAR MOT, identity
 * metrics and HOTA, as TrackEval computes them.
 */
import type { MotEvalOptions, MotEvalResult, MotGtRow, MotTrackRow } from './types';

/** Evaluates a tracker's output against MOTChallenge ground truth of one sequence. */
export function evaluateMot(gt: readonly MotGtRow[], tracker: readonly MotTrackRow[], opts: MotEvalOptions = {}): MotEvalResult {
  void gt;
  void tracker;
  void opts;
  throw new Error('evaluateMot: not implemented');
}
