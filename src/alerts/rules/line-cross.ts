import type { RuleConfig } from '../../config/schema';
import type { Point } from '../../core/types';
import { feet, projectOnSegment, signedDistance } from '../../core/geometry';
import { passes } from './filters';
import { z } from 'zod';
import { entries, int, mapOf, parseState } from '../../core/state-codec';
import { CONFIRM_FRAMES, prune } from './presence';
import { toObject, type Condition, type RuleEvaluator, type RuleInput } from './types';

/** Feet nearer the line than this (fractions of the longer side) are on neither side. */
export const LINE_MARGIN = 0.01;

/** Side of one track: -1 left of a→b, 1 right, 0 not known yet. */
interface Side {
  side: -1 | 0 | 1;
  against: number;
}

/** line_cross state: sides per track and the per-direction totals. */
export interface LineCrossState {
  sides: Map<number, Side>;
  counts: { a_to_b: number; b_to_a: number };
}

const lineCrossSchema = z.object({
  sides: mapOf(int, z.object({ side: z.union([z.literal(-1), z.literal(0), z.literal(1)]), against: int.min(0) })),
  counts: z.object({ a_to_b: int.min(0), b_to_a: int.min(0) }),
});

/**
 * Which side of the line `p` is clearly on: -1 (left of a→b on screen), 1 (right), 0 (within the margin, or
 * beyond the segment's ends).
 */
export function lineSide(p: Point, line: readonly [Point, Point], input: Pick<RuleInput, 'scale'>): -1 | 0 | 1 {
  const t = projectOnSegment(p, line[0], line[1], input.scale);
  if (t < 0 || t > 1) {
    return 0;
  }
  const d = signedDistance(p, line[0], line[1], input.scale);
  return Math.abs(d) < LINE_MARGIN ? 0 : d < 0 ? -1 : 1;
}

/**
 * line_cross: a condition (key = the track) at the frame a matching object's feet are confirmed on the other side
 * of the line: from left of a→b to right is `a_to_b`, the other way `b_to_a` (for a line drawn left to right,
 * a_to_b is downwards on screen). Feet within `LINE_MARGIN` of the line (a box exactly on it) count for neither
 * side, and a side change needs `CONFIRM_FRAMES` clear frames, so jitter on the line never counts. Counts per
 * direction are kept and reported with each crossing.
 */
export const lineCross: RuleEvaluator<LineCrossState> = {
  type: 'line_cross',
  defaultLabels: ['person'],
  init: () => ({ sides: new Map(), counts: { a_to_b: 0, b_to_a: 0 } }),
  saveState: (s) => ({ sides: entries(s.sides, (v) => ({ ...v })), counts: { ...s.counts } }),
  loadState: (saved) => parseState(lineCrossSchema, saved, 'line_cross state'),
  evaluate(rule: RuleConfig, state: LineCrossState, input: RuleInput) {
    const line = input.lines.get(rule.line ?? '');
    if (!line) {
      return { state, conditions: [] };
    }
    prune(state.sides, input.tracks);
    const conditions: Condition[] = [];
    for (const t of input.tracks) {
      if (!t.matched || !passes(rule, t, this.defaultLabels)) {
        continue;
      }
      const s = lineSide(feet(t.box), line, input);
      const prev = state.sides.get(t.id) ?? { side: 0, against: 0 };
      if (s === 0) {
        continue;
      }
      if (prev.side === 0 || prev.side === s) {
        state.sides.set(t.id, { side: s, against: 0 });
        continue;
      }
      const against = prev.against + 1;
      if (against < CONFIRM_FRAMES) {
        state.sides.set(t.id, { side: prev.side, against });
        continue;
      }
      state.sides.set(t.id, { side: s, against: 0 });
      const direction = s === 1 ? 'a_to_b' : 'b_to_a';
      state.counts[direction]++;
      if (rule.direction !== 'any' && rule.direction !== direction) {
        continue;
      }
      conditions.push({
        key: `track:${t.id}`,
        line: rule.line,
        direction,
        counts: { ...state.counts },
        count: state.counts.a_to_b + state.counts.b_to_a,
        objects: [toObject(t)],
      });
    }
    return { state, conditions };
  },
};
