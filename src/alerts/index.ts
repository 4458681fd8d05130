/**
 * The alerts module: the alert store (queries used by the API and the WebSocket hub), snapshots, rules and the
 * alert lifecycle (the per-camera engine that runs them with the tracker is src/track/camera-engine.ts). Barrel only.
 */
export {
  AlertStore,
  alertIdToken,
  parseEntry,
  type AlertEventEntry,
  type AlertQuery,
  type AlertWrite,
  type AlertStoreOptions,
  type WrittenEvent,
  type WriteFence,
} from './alert-store';
export { renderSnapshot, overlaySvg, type SnapshotOptions } from './snapshot';
export { RULE_REGISTRY, type RuleEvaluator, type RuleInput, type Condition } from './rules';
export { toObject, type CameraStateAt } from './rules/types';
export { AlertLifecycle, readAlert, type AlertChange, type LifecycleOptions, type LifecycleState } from './lifecycle';
export { isActive, type Schedule } from './schedule';
