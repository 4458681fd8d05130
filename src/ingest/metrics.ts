import { Counter, Gauge, type Registry } from 'prom-client';
import { CAMERA_STATES, type CameraState } from '../core/types';

/** Prometheus metrics of the ingest stage, registered once per registry (several stages may share one). */
export interface IngestMetrics {
  framesTotal: Counter<'camera'>;
  droppedTotal: Counter<'camera' | 'reason'>;
  queueDepth: Gauge<'camera'>;
  cameraState: Gauge<'camera' | 'state'>;
  ingestFps: Gauge<'camera'>;
  restartsTotal: Counter<'camera'>;
}

function counter<L extends string>(reg: Registry, name: string, help: string, labelNames: L[]): Counter<L> {
  return (reg.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames, registers: [reg] });
}

function gauge<L extends string>(reg: Registry, name: string, help: string, labelNames: L[]): Gauge<L> {
  return (reg.getSingleMetric(name) as Gauge<L> | undefined) ?? new Gauge({ name, help, labelNames, registers: [reg] });
}

/** Gets (or registers) the ingest metrics on `reg`. */
export function ingestMetrics(reg: Registry): IngestMetrics {
  return {
    framesTotal: counter(reg, 'vigil_ingest_frames_total', 'Frames produced by ffmpeg per camera', ['camera']),
    droppedTotal: counter(reg, 'vigil_frames_dropped_total', 'Frames dropped per camera and reason', ['camera', 'reason']),
    queueDepth: gauge(reg, 'vigil_queue_depth', 'Frames of a camera being detected plus its tickets waiting', ['camera']),
    cameraState: gauge(reg, 'vigil_camera_state', '1 for the current state of each camera, 0 for the others', ['camera', 'state']),
    ingestFps: gauge(reg, 'vigil_ingest_fps', 'Frames per second received from ffmpeg per camera', ['camera']),
    restartsTotal: counter(reg, 'vigil_ingest_restarts_total', 'ffmpeg respawns per camera', ['camera']),
  };
}

/** Sets the state gauge of a camera (one state 1, the others 0). */
export function setStateGauge(m: IngestMetrics, camera: string, state: CameraState): void {
  for (const s of CAMERA_STATES) {
    m.cameraState.set({ camera, state: s }, s === state ? 1 : 0);
  }
}

/** Removes every series of a camera (it was removed from the config). */
export function removeCameraSeries(m: IngestMetrics, camera: string): void {
  m.framesTotal.remove({ camera });
  m.queueDepth.remove({ camera });
  m.ingestFps.remove({ camera });
  m.restartsTotal.remove({ camera });
  for (const s of CAMERA_STATES) {
    m.cameraState.remove({ camera, state: s });
  }
  for (const reason of DROP_REASONS) {
    m.droppedTotal.remove({ camera, reason });
  }
}

/**
 * Why ingest dropped a frame. `superseded`: a newer frame of the camera arrived before any detector asked for this
 * one (the normal way of keeping up when the detectors are busy: they always get the newest frame); `redis_error`:
 * its ticket could not be queued; `lease`: the camera's lease was unconfirmed (renewal late, Redis away), so this
 * process may no longer be its owner.
 */
export const DROP_REASONS = ['superseded', 'redis_error', 'lease'] as const;
export type DropReason = (typeof DROP_REASONS)[number];
