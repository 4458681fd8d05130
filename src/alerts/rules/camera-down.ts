import type { RuleConfig } from '../../config/schema';
import { z } from 'zod';
import { parseState } from '../../core/state-codec';
import type { RuleEvaluator, RuleInput, Condition } from './types';

/** States that count as down. */
export const DOWN_STATES: readonly string[] = ['failed', 'reconnecting', 'stalled'];

/** camera_down: a condition while the camera has been failed/reconnecting/stalled for at least `seconds`. */
export const cameraDown: RuleEvaluator<Record<string, never>> = {
  type: 'camera_down',
  defaultLabels: undefined,
  init: () => ({}),
  saveState: () => ({}),
  loadState: (saved) => parseState(z.object({}), saved, 'camera_down state') as Record<string, never>,
  evaluate(rule: RuleConfig, state: Record<string, never>, input: RuleInput) {
    const cs = input.cameraState;
    const conditions: Condition[] = [];
    if (cs && DOWN_STATES.includes(cs.state) && input.time - cs.since >= (rule.seconds ?? 0) * 1000) {
      conditions.push({ key: `camera:${input.camera}`, objects: [] });
    }
    return { state, conditions };
  },
};
