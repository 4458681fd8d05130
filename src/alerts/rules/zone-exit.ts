import type { RuleConfig } from '../../config/schema';
import { z } from 'zod';
import { parseState } from '../../core/state-codec';
import { observeZone, presenceMap, savePresence, type Presence } from './presence';
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
    const seen = observeZone(rule, state.presence, input, this.defaultLabels);
    if (!seen) {
      return { state, conditions: [] };
    }
    const conditions: Condition[] = seen
      .filter((o) => o.change === 'exit')
      .map((o) => ({ key: `track:${o.track.id}`, zone: rule.zone, objects: [toObject(o.track)] }));
    return { state, conditions };
  },
};
