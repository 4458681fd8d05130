import type { RuleConfig } from '../../config/schema';
import type { AlertDetails, AlertObject, Box, CameraState, FaceObservation, Point, RuleType, TrackView } from '../../core/types';
import type { Scale } from '../../core/geometry';

/** Camera state as the rules see it: the state and since when (ms). */
export interface CameraStateAt {
  state: CameraState;
  since: number;
  reason: string;
}

/** Everything a rule sees at one instant of one camera. */
export interface RuleInput {
  camera: string;
  /** Capture time of the frame (ms); for ticks without a frame, the current time. */
  time: number;
  /** Confirmed tracks (id > 0), including lost ones (matched = false). Empty on a tick. */
  tracks: readonly TrackView[];
  /** Faces of this frame per track id (only tracks matched in this frame). */
  faces: ReadonlyMap<number, readonly FaceObservation[]>;
  /** True when this input is a frame (false: a timer tick, tracks unchanged). */
  frame: boolean;
  scale: Scale;
  zones: ReadonlyMap<string, readonly Point[]>;
  lines: ReadonlyMap<string, readonly [Point, Point]>;
  cameraState?: CameraStateAt;
  /** Frames of a track that must agree before a face match / unknown face is declared (`faces.votes`). */
  faceVotes: number;
}

/** A condition a rule holds true at this instant; the lifecycle turns conditions into alerts. */
export interface Condition extends AlertDetails {
  /** De-duplication key within the rule (a track id, a zone, the camera). */
  key: string;
  objects: AlertObject[];
}

/** Result of one evaluation. */
export interface RuleOutput<S> {
  state: S;
  conditions: Condition[];
}

/** A rule type: a pure evaluator `(state, input) → {state, conditions}`; `input.time` is the clock. */
export interface RuleEvaluator<S = unknown> {
  type: RuleType;
  /** Labels the rule applies to when the config gives none. */
  defaultLabels: readonly string[] | undefined;
  init(rule: RuleConfig): S;
  evaluate(rule: RuleConfig, state: S, input: RuleInput): RuleOutput<S>;
  /** The state as JSON-able values (Maps as entry arrays, in order), for a saved engine. */
  saveState(state: S): unknown;
  /** The state {@link saveState} saved; throws a StateError when `saved` is not one. */
  loadState(saved: unknown): S;
}

/** The alert object of a track. */
export function toObject(t: TrackView): AlertObject {
  return { trackId: t.id, label: t.label, score: round(t.score, 3), box: t.box.map((v) => round(v, 4)) as Box };
}

function round(v: number, d: number): number {
  const f = 10 ** d;
  return Math.round(v * f) / f;
}
