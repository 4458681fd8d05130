import type { RuleConfig } from '../../config/schema';
import { z } from 'zod';
import { num, parseState } from '../../core/state-codec';
import { observeZone, presenceMap, savePresence, type Presence } from './presence';
import { toObject, type Condition, type RuleEvaluator, type RuleInput } from './types';

/** A dip below the count shorter than this does not reset the crowd timer (ms). */
export const CROWD_GRACE_MS = 1000;

/** crowd state: presences and since when the zone has held at least `count` objects. */
export interface CrowdState {
  presence: Map<number, Presence>;
  since: number;
  belowSince: number;
}

/** crowd: one condition per zone while at least `count` matching objects have been inside for `seconds`. */
export const crowd: RuleEvaluator<CrowdState> = {
  type: 'crowd',
  defaultLabels: ['person'],
  init: () => ({ presence: new Map(), since: -1, belowSince: -1 }),
  saveState: (s) => ({ presence: savePresence(s.presence), since: s.since, belowSince: s.belowSince }),
  loadState: (saved) => parseState(z.object({ presence: presenceMap, since: num, belowSince: num }), saved, 'crowd state'),
  evaluate(rule: RuleConfig, state: CrowdState, input: RuleInput) {
    const seen = observeZone(rule, state.presence, input, this.defaultLabels);
    if (!seen) {
      return { state, conditions: [] };
    }
    const inside = seen.filter((o) => o.presence.inside).map((o) => o.track);
    const need = rule.count ?? 1;
    if (inside.length >= need) {
      state.belowSince = -1;
      if (state.since < 0) {
        state.since = input.time;
      }
    } else if (state.since >= 0) {
      if (state.belowSince < 0) {
        state.belowSince = input.time;
      }
      if (input.time - state.belowSince >= CROWD_GRACE_MS) {
        state.since = -1;
        state.belowSince = -1;
      }
    }
    const conditions: Condition[] = [];
    if (state.since >= 0 && inside.length >= need && input.time - state.since >= (rule.seconds ?? 0) * 1000) {
      conditions.push({ key: `zone:${rule.zone}`, zone: rule.zone, count: inside.length, objects: inside.map(toObject) });
    }
    return { state, conditions };
  },
};
