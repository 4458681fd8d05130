import type { RuleConfig } from '../../config/schema';
import { z } from 'zod';
import { parseState } from '../../core/state-codec';
import { observeZone, presenceMap, savePresence, type Presence } from './presence';
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
    const seen = observeZone(rule, state.presence, input, this.defaultLabels);
    if (!seen) {
      return { state, conditions: [] };
    }
    const inside = seen.filter((o) => o.presence.inside).map((o) => o.track);
    const conditions: Condition[] = inside.length
      ? [{ key: `zone:${rule.zone}`, zone: rule.zone, objects: inside.map(toObject), count: inside.length }]
      : [];
    return { state, conditions };
  },
};
