import type { RuleConfig } from '../../config/schema';
import { passes } from './filters';
import { z } from 'zod';
import { parseState } from '../../core/state-codec';
import { observe, presenceMap, prune, savePresence, type Presence } from './presence';
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
    const poly = input.zones.get(rule.zone ?? '');
    if (!poly) {
      return { state, conditions: [] };
    }
    prune(state.presence, input.tracks);
    const limit = (rule.seconds ?? 0) * 1000;
    const conditions: Condition[] = [];
    for (const t of input.tracks) {
      if (!passes(rule, t, this.defaultLabels)) {
        continue;
      }
      const { presence } = observe(state.presence.get(t.id), t, poly, input.scale, input.time);
      state.presence.set(t.id, presence);
      if (presence.inside && presence.enteredAt >= 0 && input.time - presence.enteredAt >= limit) {
        conditions.push({ key: `track:${t.id}`, zone: rule.zone, objects: [toObject(t)] });
      }
    }
    return { state, conditions };
  },
};
