import type { VigilConfig } from '../config/schema';
import type { Alert, AlertEventKind, DetectionResult } from '../core/types';
import { CameraEngine } from './camera-engine';
import { engineConfigOf } from './engine-config';

/** One alert event that a replay would raise. */
export interface ReplayEvent {
  event: AlertEventKind;
  alert: Alert;
}

/**
 * Runs the live decision path (tracker, rules, lifecycle: {@link CameraEngine}) over detection results offline,
 * with their capture times as the clock; results are processed per camera in seq order. Alert ids are the
 * synthetic `replay-N`. Open alerts are ended after the last frame plus `alerts.endAfterSeconds`.
 */
export function replay(config: VigilConfig, results: Iterable<DetectionResult>): ReplayEvent[] {
  const engines = new Map<string, CameraEngine>();
  const out: ReplayEvent[] = [];
  let n = 0;
  const take = (engine: CameraEngine, changes: ReturnType<CameraEngine['process']>['changes']) => {
    for (const c of changes) {
      if (c.event === 'start') {
        engine.lifecycle.setId(c.handle, `replay-${++n}`);
        c.alert.id = c.handle.alert.id;
        if (c.handle.alert.snapshot !== undefined) {
          c.alert.snapshot = c.handle.alert.snapshot;
        }
      }
      out.push({ event: c.event, alert: c.alert });
    }
  };
  const byCamera = new Map<string, DetectionResult[]>();
  for (const r of results) {
    const list = byCamera.get(r.camera) ?? [];
    list.push(r);
    byCamera.set(r.camera, list);
  }
  for (const [camera, list] of byCamera) {
    const cam = config.cameras.find((c) => c.id === camera);
    if (!cam) {
      continue;
    }
    const engine = new CameraEngine(engineConfigOf(config, cam));
    engines.set(camera, engine);
    list.sort((a, b) => a.seq - b.seq);
    for (const r of list) {
      take(engine, engine.process(r, r.times.capturedAt).changes);
    }
    const last = list.length ? list[list.length - 1].times.capturedAt : 0;
    const end = last + config.alerts.endAfterSeconds * 1000 + 1;
    take(engine, engine.lifecycle.expire(end, new Map(engine.activeRules.map((x) => [x.id, x]))));
  }
  return out;
}
