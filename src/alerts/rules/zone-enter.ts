import type { RuleConfig } from '../../config/schema';
import { passes } from './filters';
import { z } from 'zod';
import { parseState } from '../../core/state-codec';
import { observe, presenceMap, prune, savePresence, type Presence } from './presence';
import { toObject, type Condition, type RuleEvaluator, type RuleInput } from './types';

/** zone_enter state: each track's presence in the zone. */
export interface ZoneEnterState {
  presence: Map<number, Presence>;
}

/**
 * zone_enter: one condition per zone while at least one matching object that entered (or appeared in) it is
 * still inside; the objects are those inside. Edge jitter never flaps (presence hysteresis), and a track lost
 * and found inside keeps its presence, so it does not enter twice.
 */
export const zoneEnter: RuleEvaluator<ZoneEnterState> = {
  type: 'zone_enter',
  defaultLabels: ['person'],
  init: () => ({ presence: new Map() }),
  saveState: (s) => ({ presence: savePresence(s.presence) }),
  loadState: (saved) => parseState(z.object({ presence: presenceMap }), saved, 'zone_enter state'),
  evaluate(rule: RuleConfig, state: ZoneEnterState, input: RuleInput) {
    const poly = input.zones.get(rule.zone ?? '');
    if (!poly) {
      return { state, conditions: [] };
    }
    prune(state.presence, input.tracks);
    const inside = [];
    for (const t of input.tracks) {
      if (!passes(rule, t, this.defaultLabels)) {
        continue;
      }
      const { presence } = observe(state.presence.get(t.id), t, poly, input.scale, input.time);
      state.presence.set(t.id, presence);
      if (presence.inside) {
        inside.push(t);
      }
    }
    const conditions: Condition[] = inside.length
      ? [{ key: `zone:${rule.zone}`, zone: rule.zone, objects: inside.map(toObject), count: inside.length }]
      : [];
    return { state, conditions };
  },
};
