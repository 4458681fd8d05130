/** Test helpers: build rule configs, tracks and inputs, and run a rule over a sequence of frames. */
import { ruleSchema, type RuleConfig } from '../../../src/config/schema';
import { RULE_REGISTRY } from '../../../src/alerts/rules';
import type { Condition, RuleInput } from '../../../src/alerts/rules/types';
import type { Box, FaceObservation, Point } from '../../../src/core/types';
import type { TrackView } from '../../../src/core/types';

export function rule(r: Record<string, unknown>): RuleConfig {
  return ruleSchema.parse({ id: 'r', camera: 'cam', ...r });
}

/** A confirmed track with its feet at (x, y), a 0.04 x 0.2 box. */
export function track(id: number, x: number, y: number, over: Partial<TrackView> = {}): TrackView {
  const box: Box = [x - 0.02, y - 0.2, x + 0.02, y];
  return {
    id,
    label: 'person',
    score: 0.9,
    box,
    status: 'tracked',
    matched: true,
    detectionIndex: id - 1,
    firstSeen: 0,
    lastSeen: 0,
    timeInView: 0,
    velocity: [0, 0],
    speed: 0,
    stationarySince: -1,
    hits: 10,
    ...over,
  };
}

export const ZONE: Point[] = [
  [0.2, 0.4],
  [0.6, 0.4],
  [0.6, 0.8],
  [0.2, 0.8],
];
export const LINE: [Point, Point] = [
  [0.1, 0.5],
  [0.9, 0.5],
];

export function input(time: number, tracks: TrackView[], over: Partial<RuleInput> = {}): RuleInput {
  return {
    camera: 'cam',
    time,
    tracks,
    faces: new Map<number, FaceObservation[]>(),
    frame: true,
    scale: { sx: 1, sy: 1 },
    zones: new Map([['z', ZONE]]),
    lines: new Map([['l', LINE]]),
    faceVotes: 2,
    ...over,
  };
}

/** Runs a rule over inputs; returns the conditions of every step. */
export function runRule(r: RuleConfig, inputs: RuleInput[]): Condition[][] {
  const ev = RULE_REGISTRY[r.type];
  let state = ev.init(r);
  return inputs.map((i) => {
    const res = ev.evaluate(r, state, i);
    state = res.state;
    return res.conditions;
  });
}
