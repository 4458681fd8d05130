/**
 * The detect stage (role `detect`): the BullMQ worker on the frames queue, the detector pool, publishing each frame's
 * DetectionResult (src/detect/stage.ts). `start` is the stage's factory; the daemon's detect role
 * (src/daemon/detect-role.ts) passes it the face stage, which detect knows only by src/core/face-runner.ts.
 */
import { CamerasInEffect } from '../config/cameras-in-effect';
import type { Context, StageHandle } from '../config/context';
import type { FaceRunner } from '../core/face-runner';
import { createDetector } from './create-detector';
import { DetectStage } from './stage';

export { createDetector, modelPath } from './create-detector';
export { DetectStage, type DetectStageDeps, type DetectorFactory } from './stage';

/** Makes the face stage for the detect stage, on the detect stage's cameras in effect. */
export type FaceRunnerFactory = (cameras: CamerasInEffect) => FaceRunner;

/**
 * Starts the detect stage, with the face stage `faces` makes (none: faces are never looked for). Never throws for a
 * bad or missing model: readiness says why and loading is retried.
 */
export async function start(ctx: Context, faces?: FaceRunnerFactory): Promise<StageHandle> {
  const cameras = new CamerasInEffect(ctx, 'detect');
  const stage = new DetectStage(ctx, { createDetector, cameras, ...(faces ? { faces: faces(cameras) } : {}) });
  await stage.start();
  return { readiness: () => stage.readiness(), close: () => stage.stop() };
}
