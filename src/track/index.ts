/**
 * The track stage (role `track`): one tracker per camera this process owns, reading the camera's detections stream
 * and writing its alerts (track-stage.ts has the whole story). `start` is what src/daemon/stages.ts loads.
 */
import type { Context, StageHandle } from '../config/context';
import { TrackStage } from './track-stage';

export { TrackStage, type TrackStageDeps } from './track-stage';

/** Starts the track stage on the context's leases and a CamerasInEffect of its own. */
export function start(ctx: Context): Promise<StageHandle> {
  return new TrackStage({ ctx }).start();
}
