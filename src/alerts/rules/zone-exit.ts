import type { RuleConfig } from '../../config/schema';
import { passes } from './filters';
import { z } from 'zod';
import { parseState } from '../../core/state-codec';
import { observe, presenceMap, prune, savePresence, type Presence } from './presence';
import { toObject, type Condition, type RuleEvaluator, type RuleInput } from './types';

/** zone_exit state: each track's presence in the zone. */
export interface ZoneExitState {
  presence: Map<number, Presence>;
}

/**
 * zone_exit: a condition (key = the track) at the frame a matching object that was inside the zone is confirmed
 * outside it. A track that vanishes while inside has not exited.
 */
export const zoneExit: RuleEvaluator<ZoneExitState> = {
  type: 'zone_exit',
  defaultLabels: ['person'],
  init: () => ({ presence: new Map() }),
  saveState: (s) => ({ presence: savePresence(s.presence) }),
  loadState: (saved) => parseState(z.object({ presence: presenceMap }), saved, 'zone_exit state'),
  evaluate(rule: RuleConfig, state: ZoneExitState, input: RuleInput) {
    const poly = input.zones.get(rule.zone ?? '');
    if (!poly) {
      return { state, conditions: [] };
    }
    prune(state.presence, input.tracks);
    const conditions: Condition[] = [];
    for (const t of input.tracks) {
      if (!passes(rule, t, this.defaultLabels)) {
        continue;
      }
      const { presence, change } = observe(state.presence.get(t.id), t, poly, input.scale, input.time);
      state.presence.set(t.id, presence);
      if (change === 'exit') {
        conditions.push({ key: `track:${t.id}`, zone: rule.zone, objects: [toObject(t)] });
      }
    }
    return { state, conditions };
  },
};
