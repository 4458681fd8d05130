import type { CameraConfig, VigilConfig } from '../config/schema';
import type { CameraEngineConfig } from './camera-engine';

/** The engine config slice of one camera. */
export function engineConfigOf(config: VigilConfig, camera: CameraConfig): CameraEngineConfig {
  return { camera, rules: config.rules, track: config.track, alerts: config.alerts, faceVotes: config.faces.votes };
}
