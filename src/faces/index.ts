/**
 * The face stage (run by the detect role on frames of cameras with faces on; the daemon hands it to the detect
 * stage through the FaceRunner interface of src/core/face-runner.ts). Barrel, and the one-call start used by
 * `vigil eval` and tests.
 */
import type { CamerasInEffect } from '../config/cameras-in-effect';
import type { Context } from '../config/context';
import { FaceStage, faceCameras } from './stage';

export { FaceStage, faceCameras } from './stage';

/**
 * A started face stage, or undefined when no camera in effect (file and API) uses faces. Rejects when the models
 * cannot be loaded or the watchlist cannot be read.
 */
export async function createFaceStage(ctx: Context, inEffect: CamerasInEffect): Promise<FaceStage | undefined> {
  if (faceCameras(inEffect.list()).size === 0) {
    return undefined;
  }
  const stage = new FaceStage(ctx, inEffect);
  try {
    await stage.start();
  } catch (err) {
    await stage.stop();
    throw err;
  }
  return stage;
}
