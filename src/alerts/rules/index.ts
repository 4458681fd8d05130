import type { RuleType } from '../../core/types';
import { cameraDown } from './camera-down';
import { crowd } from './crowd';
import { faceMatch } from './face-match';
import { faceUnknown } from './face-unknown';
import { lineCross } from './line-cross';
import { loiter } from './loiter';
import { objectLeft } from './object-left';
import { speed } from './speed';
import type { RuleEvaluator } from './types';
import { zoneEnter } from './zone-enter';
import { zoneExit } from './zone-exit';

/** Every rule type, keyed by its config `type`. */
export const RULE_REGISTRY: Readonly<Record<RuleType, RuleEvaluator<unknown>>> = {
  zone_enter: zoneEnter as RuleEvaluator<unknown>,
  zone_exit: zoneExit as RuleEvaluator<unknown>,
  line_cross: lineCross as RuleEvaluator<unknown>,
  loiter: loiter as RuleEvaluator<unknown>,
  crowd: crowd as RuleEvaluator<unknown>,
  object_left: objectLeft as RuleEvaluator<unknown>,
  speed: speed as RuleEvaluator<unknown>,
  face_match: faceMatch as RuleEvaluator<unknown>,
  face_unknown: faceUnknown as RuleEvaluator<unknown>,
  camera_down: cameraDown as RuleEvaluator<unknown>,
};

export type { RuleEvaluator, RuleInput, Condition, CameraStateAt } from './types';
