/** Prometheus metrics of the detect stage, registered once per registry (stages of one process share it). */
import { Counter, Histogram, type Registry } from 'prom-client';

/** The detect stage's metrics. */
export interface DetectMetrics {
  framesTotal: Counter<'camera'>;
  droppedTotal: Counter<'camera' | 'reason'>;
  inferenceSeconds: Histogram<'model'>;
  stageLatency: Histogram<'stage'>;
  batchSize: Histogram<'model'>;
  workerSeconds: Counter<'model' | 'step'>;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2, 5];

function getOr<T>(reg: Registry, name: string, make: () => T): T {
  return (reg.getSingleMetric(name) as T | undefined) ?? make();
}

/** Gets (or registers) the detect metrics on `reg`. */
export function detectMetrics(reg: Registry): DetectMetrics {
  const registers = [reg];
  return {
    framesTotal: getOr(reg, 'vigil_detect_frames_total', () => new Counter({ name: 'vigil_detect_frames_total', help: 'Frames detected per camera', labelNames: ['camera'], registers })),
    droppedTotal: getOr(reg, 'vigil_frames_dropped_total', () => new Counter({ name: 'vigil_frames_dropped_total', help: 'Frames dropped per camera and reason', labelNames: ['camera', 'reason'], registers })),
    inferenceSeconds: getOr(reg, 'vigil_inference_seconds', () => new Histogram({ name: 'vigil_inference_seconds', help: 'Model inference time per batch', labelNames: ['model'], buckets: [0.002, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.2, 0.5, 1], registers })),
    stageLatency: getOr(reg, 'vigil_stage_latency_seconds', () => new Histogram({ name: 'vigil_stage_latency_seconds', help: 'Time between pipeline steps of a frame (capture, queued, picked, inferred, published)', labelNames: ['stage'], buckets: LATENCY_BUCKETS, registers })),
    workerSeconds: getOr(reg, 'vigil_detect_worker_seconds_total', () => new Counter({ name: 'vigil_detect_worker_seconds_total', help: 'Time inference workers spent per step (pre = resize/letterbox, infer, post = decode/NMS)', labelNames: ['model', 'step'], registers })),
    batchSize: getOr(reg, 'vigil_detect_batch_size', () => new Histogram({ name: 'vigil_detect_batch_size', help: 'Frames per inference', labelNames: ['model'], buckets: [1, 2, 4, 8, 16, 32], registers })),
  };
}
