import type { RuleConfig } from '../../config/schema';
import { pointInPolygon, feet } from '../../core/geometry';
import { passes } from './filters';
import { z } from 'zod';
import { entries, parseState } from '../../core/state-codec';
import { CONFIRM_FRAMES, numberMap, prune } from './presence';
import { toObject, type Condition, type RuleEvaluator, type RuleInput } from './types';

/** Frames in view before a track's speed is trusted (the Kalman velocity needs a few measurements). */
export const SPEED_MIN_HITS = 4;

/** speed state: consecutive frames over the threshold per track. */
export interface SpeedState {
  over: Map<number, number>;
}

/**
 * speed: a condition per track whose feet move faster than `speed` (fractions of the frame's longer side per
 * second) for `CONFIRM_FRAMES` consecutive frames; optional `zone` restricts where.
 */
export const speed: RuleEvaluator<SpeedState> = {
  type: 'speed',
  defaultLabels: undefined,
  init: () => ({ over: new Map() }),
  saveState: (s) => ({ over: entries(s.over) }),
  loadState: (saved) => parseState(z.object({ over: numberMap }), saved, 'speed state'),
  evaluate(rule: RuleConfig, state: SpeedState, input: RuleInput) {
    prune(state.over, input.tracks);
    const poly = rule.zone !== undefined ? input.zones.get(rule.zone) : undefined;
    const conditions: Condition[] = [];
    for (const t of input.tracks) {
      if (!t.matched || !passes(rule, t, this.defaultLabels) || t.hits < SPEED_MIN_HITS) {
        continue;
      }
      if (poly && !pointInPolygon(feet(t.box), poly)) {
        state.over.set(t.id, 0);
        continue;
      }
      const n = t.speed > (rule.speed ?? Infinity) ? (state.over.get(t.id) ?? 0) + 1 : 0;
      state.over.set(t.id, n);
      if (n >= CONFIRM_FRAMES) {
        conditions.push({ key: `track:${t.id}`, zone: rule.zone, objects: [toObject(t)] });
      }
    }
    return { state, conditions };
  },
};
