/**
 * The alerts module: the alert store (queries used by the API and the WebSocket hub), snapshots, rules, the
 * alert lifecycle, the per-camera decision engine and replay. Barrel only.
 */
export {
  AlertStore,
  compareIds,
  parseEntry,
  toAlertMessage,
  type AlertEventEntry,
  type AlertQuery,
  type AlertStoreOptions,
  type WrittenEvent,
  type WriteFence,
} from './alert-store';
export { renderSnapshot, overlaySvg, type SnapshotOptions } from './snapshot';
export { RULE_REGISTRY, type RuleEvaluator, type RuleInput, type Condition } from './rules';
export { AlertLifecycle, type AlertChange, type LifecycleOptions } from './lifecycle';
export { CameraEngine, type CameraEngineConfig, type FrameOutcome } from './camera-engine';
export { isActive, type Schedule } from './schedule';
export { replay, type ReplayEvent } from './replay';
export { engineConfigOf } from './engine-config';
