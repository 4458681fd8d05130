/**
 * The alerts module: the alert store (queries used by the API and the WebSocket hub), snapshots, rules and the
 * alert lifecycle. Barrel only.
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
} from './alert-store';
export { renderSnapshot, overlaySvg, type SnapshotOptions } from './snapshot';
