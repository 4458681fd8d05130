/**
 * The detect role of a process: the detect stage with the face stage it runs on frames of cameras with faces on.
 * The two stages never import each other; they are put together here (detect knows the face stage only by the
 * FaceRunner interface of src/core/face-runner.ts). Loaded by src/daemon/stages.ts only in a process with the role.
 */
import type { Context, StageHandle } from '../config/context';
import { start as startDetect } from '../detect';
import { FaceStage } from '../faces';

/** Starts the detect stage with its face stage, both following the same cameras in effect. */
export function start(ctx: Context): Promise<StageHandle> {
  return startDetect(ctx, (cameras) => new FaceStage(ctx, cameras));
}
