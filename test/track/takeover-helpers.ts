/** Shared by the takeover tests: the vtest feed of a run, and how two runs' alert events are compared. */
import assert from 'node:assert/strict';
import type { VigilConfig } from '../../src/config/schema';
import type { Keys } from '../../src/core/keys';
import type { Alert, DetectionResult } from '../../src/core/types';
import { vtestDetections } from './vtest-fixture';

/** Alert events with what differs between two correct runs taken out: ids become ordinals, no latency. */
export function normalise(events: ReadonlyArray<{ event: string; alert: Alert }>): unknown[] {
  const ids = new Map<string, number>();
  return events.map(({ event, alert }) => {
    if (!ids.has(alert.id)) {
      ids.set(alert.id, ids.size + 1);
    }
    const { latencyMs: _l, snapshot: _s, id, ...rest } = alert;
    return { event, alert: { ...rest, id: ids.get(id) } };
  });
}

/** Every alert id has one start and at most one end, in that order, and nothing after its end. */
export function assertOneLifecycleEach(events: ReadonlyArray<{ event: string; alert: Alert }>): void {
  const seen = new Map<string, string>();
  for (const e of events) {
    const prev = seen.get(e.alert.id);
    if (e.event === 'start') {
      assert.equal(prev, undefined, `alert ${e.alert.id} started twice`);
    } else {
      assert.ok(prev === 'start' || prev === 'update', `${e.event} of alert ${e.alert.id} after ${prev ?? 'nothing'}`);
    }
    seen.set(e.alert.id, e.event);
  }
}

/**
 * The vtest detections (all, or the first `frames`) with capture times and frame keys of this run, and one closing
 * frame (no detections) `endAfterSeconds` + 1 s after the last, so every alert ends at a frame's capture time in a
 * live run as in replay.
 */
export function vtestFeed(keys: Keys, config: VigilConfig, t0: number, frames?: number): DetectionResult[] {
  const results = vtestDetections().slice(0, frames);
  const c0 = results[0].times.capturedAt;
  const out = results.map((r) => {
    const t = t0 + (r.times.capturedAt - c0);
    return { ...r, frameKey: keys.frame(r.camera, r.seq), times: { capturedAt: t, queuedAt: t } };
  });
  const last = out[out.length - 1];
  const t = last.times.capturedAt + config.alerts.endAfterSeconds * 1000 + 1000;
  out.push({ ...last, seq: last.seq + 1, frameKey: keys.frame(last.camera, last.seq + 1), detections: [], times: { capturedAt: t, queuedAt: t } });
  return out;
}

/** The stream order: out of seq order as parallel detect workers finish (every 4th frame arrives 2 frames early). */
export function arrivalOrder<T>(feed: readonly T[]): T[] {
  const out: T[] = [];
  for (let k = 0; k < feed.length; k++) {
    if (k % 4 === 1 && k + 2 < feed.length - 1) {
      out.push(feed[k + 2], feed[k], feed[k + 1]);
      k += 2;
    } else {
      out.push(feed[k]);
    }
  }
  return out;
}

