/** The detector the config asks for: its model file (downloaded when a known one is missing) on the detector pool. */
import { isAbsolute, join } from 'node:path';
import { existsSync } from 'node:fs';
import type { VigilConfig } from '../config/schema';
import type { Context } from '../config/context';
import { fetchModel, findKnownModel } from '../models/registry';
import { Detector } from './detector';
import type { BatchTimings } from './inference-worker';

/** Path of the configured detector model. */
export function modelPath(config: VigilConfig): string {
  const f = config.models.detector.file;
  return isAbsolute(f) ? f : join(config.models.dir, f);
}

/** Creates the detector the config asks for (the detect stage's detector factory; also used by the bench and tests). */
export async function createDetector(ctx: Context, onBatch?: (timings: BatchTimings, size: number) => void): Promise<Detector> {
  const { detector: d } = ctx.config.models;
  const path = modelPath(ctx.config);
  if (!existsSync(path) && findKnownModel(path) && !isAbsolute(d.file)) {
    ctx.log.warn({ file: path }, 'model file missing: trying to download it');
    await fetchModel(ctx.config.models.dir, d.file);
  }
  return await Detector.create({
    init: {
      modelPath: path,
      family: d.family,
      inputSize: d.inputSize,
      device: d.device,
      post: { labels: d.labels, classes: d.classes, scoreThreshold: d.scoreThreshold, classThresholds: d.classThresholds, nmsIou: d.nmsIou, cluster: d.cluster },
    },
    workers: ctx.config.detect.workers,
    threadsPerWorker: ctx.config.detect.threadsPerWorker,
    batchSize: ctx.config.detect.batchSize,
    batchWaitMs: ctx.config.detect.batchWaitMs,
    log: ctx.log.child({ stage: 'detect' }),
    onBatch,
  });
}
