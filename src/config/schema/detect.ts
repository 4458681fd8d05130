import { z } from 'zod';

/** `detect:` section: the detection workers. */
export const detectSchema = z
  .strictObject({
    /** Worker threads running inference in this process; 0 = from the core count. @defaultValue 0 */
    workers: z.number().int().min(0).max(64).default(0),
    /** ONNX Runtime intra-op threads per worker; 0 = from the core count. @defaultValue 0 */
    threadsPerWorker: z.number().int().min(0).max(64).default(0),
    /** Micro-batch: at most this many frames per inference (models with a free batch dimension). @defaultValue 4 */
    batchSize: z.number().int().min(1).max(64).default(4),
    /** Micro-batch: wait at most this long to fill a batch. @defaultValue 5 */
    batchWaitMs: z.number().min(0).max(1000).default(5),
    /** Frames older than this when picked up are dropped (real time beats completeness). @defaultValue 2000 */
    maxFrameAgeMs: z.number().int().min(50).max(60_000).default(2000),
  })
  .prefault({});
export type DetectConfig = z.infer<typeof detectSchema>;
