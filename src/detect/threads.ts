/** Pure sizing of the inference pool from the machine's cores. */

/** Workers and ONNX Runtime threads per worker. */
export interface ThreadPlan {
  workers: number;
  threadsPerWorker: number;
}

/**
 * Sizes the pool so that workers × threads never exceeds the cores (more ONNX Runtime threads than cores lowers
 * throughput: measured 27 → 20 frames/s with 2 workers × 2 threads on 2 cores). `0` means "choose". Small
 * machines get one thread per worker, so preprocessing and decoding of one frame overlap inference of another;
 * larger ones get 2-4 threads per worker.
 */
export function planThreads(cores: number, workers = 0, threadsPerWorker = 0): ThreadPlan {
  const c = Math.max(1, Math.floor(cores));
  let t = threadsPerWorker > 0 ? threadsPerWorker : 0;
  let w = workers > 0 ? workers : 0;
  if (t === 0 && w === 0) {
    t = c <= 2 ? 1 : c <= 8 ? 2 : 4;
    w = Math.max(1, Math.floor(c / t));
  } else if (t === 0) {
    t = Math.max(1, Math.floor(c / w));
  } else if (w === 0) {
    w = Math.max(1, Math.floor(c / t));
  }
  return { workers: w, threadsPerWorker: t };
}
