/**
 * What PUT /api/cameras/:id needs beyond the camera schema so that the dashboard's zone and line editor can save
 * through it: the camera in effect now (config file or a run-time override), so a body without `url` keeps the
 * camera's source (the dashboard never sees URLs), and the config check's cross-checks of the running rules against
 * the camera as it would be stored (a zone a rule uses cannot be removed or renamed away).
 */
import type Redis from 'ioredis';
import { DELETED, effectiveCameras, readCameraOverrides } from '../config/camera-overrides';
import type { Keys } from '../core/keys';
import { formatPath } from '../config/load';
import { crossCheckProblems, type CameraConfig, type VigilConfig } from '../config/schema';

/** The camera in effect and where it comes from; undefined when unknown or deleted. */
export async function currentCamera(
  redis: Redis,
  keys: Keys,
  config: VigilConfig,
  id: string,
): Promise<{ camera: CameraConfig; origin: 'config' | 'api'; all: CameraConfig[] } | undefined> {
  const overrides = await readCameraOverrides(redis, keys);
  const all = effectiveCameras(config.cameras, overrides);
  const camera = all.find((c) => c.id === id);
  if (!camera) {
    return undefined;
  }
  const o = overrides.get(id);
  return { camera, origin: o !== undefined && o !== DELETED ? 'api' : 'config', all };
}

/** Pure: the rules of `config` that apply to camera `id` (its own and the ones for every camera). */
export function rulesOf(config: VigilConfig, id: string): VigilConfig['rules'] {
  return config.rules.filter((r) => r.camera === undefined || r.camera === id);
}

/**
 * Pure: the cross-check problems (`PATH: message`, as `vigil config check` prints them) of the running rules with
 * `cam` stored in place of the camera of the same id among `cameras`. Only problems about the rules and this camera
 * are returned (the rest of the running config passed already); its URL is checked by the API's source policy.
 */
export function cameraRuleProblems(config: VigilConfig, cameras: readonly CameraConfig[], cam: CameraConfig): string[] {
  const list = cameras.filter((c) => c.id !== cam.id).concat([cam]);
  const index = list.length - 1;
  return crossCheckProblems({ cameras: list, rules: config.rules, sources: config.sources, server: config.server })
    .filter((p) => p.path[0] === 'rules' || (p.path[0] === 'cameras' && p.path[1] === index && p.path[2] !== 'url'))
    .map((p) => `${formatPath(p.path[0] === 'cameras' ? p.path.slice(2) : p.path)}: ${p.message}`);
}
