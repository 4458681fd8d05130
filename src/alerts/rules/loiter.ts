import type { RuleConfig } from '../../config/schema';
import { z } from 'zod';
import { parseState } from '../../core/state-codec';
import { observeZone, presenceMap, savePresence, type Presence } from './presence';
import { toObject, type Condition, type RuleEvaluator, type RuleInput } from './types';

/** loiter state: each track's presence in the zone (with its entry time). */
export interface LoiterState {
  presence: Map<number, Presence>;
}

/**
 * loiter: a condition per track that has been inside the zone for at least `seconds` (entry time kept while the
 * track is briefly lost, and edge jitter does not reset it).
 */
export const loiter: RuleEvaluator<LoiterState> = {
  type: 'loiter',
  defaultLabels: ['person'],
  init: () => ({ presence: new Map() }),
  saveState: (s) => ({ presence: savePresence(s.presence) }),
  loadState: (saved) => parseState(z.object({ presence: presenceMap }), saved, 'loiter state'),
  evaluate(rule: RuleConfig, state: LoiterState, input: RuleInput) {
    const seen = observeZone(rule, state.presence, input, this.defaultLabels);
    if (!seen) {
      return { state, conditions: [] };
    }
    const limit = (rule.seconds ?? 0) * 1000;
    const conditions: Condition[] = [];
    for (const { track, presence } of seen) {
      if (presence.inside && presence.enteredAt >= 0 && input.time - presence.enteredAt >= limit) {
        conditions.push({ key: `track:${track.id}`, zone: rule.zone, objects: [toObject(track)] });
      }
    }
    return { state, conditions };
  },
};
