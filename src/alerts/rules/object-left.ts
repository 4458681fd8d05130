import type { RuleConfig } from '../../config/schema';
import { centre, distance, feet, pointInPolygon } from '../../core/geometry';
import { CARRIED_ITEMS, passes } from './filters';
import { z } from 'zod';
import { entries, parseState } from '../../core/state-codec';
import { numberMap, prune } from './presence';
import { toObject, type Condition, type RuleEvaluator, type RuleInput } from './types';

/** object_left state: since when each item has had no person within the radius (ms). */
export interface ObjectLeftState {
  aloneSince: Map<number, number>;
}

/**
 * object_left: a carried item (backpack, handbag, suitcase by default) that has been still for `seconds` with no
 * person within `radius` (fractions of the frame's longer side, item centre to a person's feet or centre) for
 * the same time. Optional `zone` restricts it to items whose feet are in that zone.
 */
export const objectLeft: RuleEvaluator<ObjectLeftState> = {
  type: 'object_left',
  defaultLabels: CARRIED_ITEMS,
  init: () => ({ aloneSince: new Map() }),
  saveState: (s) => ({ aloneSince: entries(s.aloneSince) }),
  loadState: (saved) => parseState(z.object({ aloneSince: numberMap }), saved, 'object_left state'),
  evaluate(rule: RuleConfig, state: ObjectLeftState, input: RuleInput) {
    prune(state.aloneSince, input.tracks);
    const radius = rule.radius ?? 0.1;
    const limit = (rule.seconds ?? 0) * 1000;
    const poly = rule.zone !== undefined ? input.zones.get(rule.zone) : undefined;
    const people = input.tracks.filter((t) => t.label === 'person' && t.matched);
    const conditions: Condition[] = [];
    for (const t of input.tracks) {
      if (!passes(rule, t, this.defaultLabels)) {
        continue;
      }
      if (poly && !pointInPolygon(feet(t.box), poly)) {
        continue;
      }
      const c = centre(t.box);
      const near = people.some(
        (p) => distance(c, feet(p.box), input.scale) < radius || distance(c, centre(p.box), input.scale) < radius,
      );
      if (near) {
        state.aloneSince.set(t.id, -1);
      } else if ((state.aloneSince.get(t.id) ?? -1) < 0) {
        state.aloneSince.set(t.id, input.time);
      }
      const alone = state.aloneSince.get(t.id) ?? -1;
      if (alone < 0 || t.stationarySince < 0) {
        continue;
      }
      const since = Math.max(alone, t.stationarySince);
      if (input.time - since >= limit) {
        conditions.push({ key: `track:${t.id}`, zone: rule.zone, objects: [toObject(t)] });
      }
    }
    return { state, conditions };
  },
};

