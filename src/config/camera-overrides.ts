import type Redis from 'ioredis';
import { cameraSchema, type CameraConfig, type SourcesConfig } from './schema';
import { SOURCE_SCHEMES } from './schema/sources';
import { checkCameraSource } from './source-policy';
import { parseSourceUrl } from '../core/source-url';

/** Pure: why no camera source policy could allow `url` (undefined = some policy could). */
export function neverAllowed(url: string): string | undefined {
  const p = parseSourceUrl(url);
  if (!p.ok) {
    return p.message;
  }
  const u = p.url;
  if (u.kind === 'path' || (u.kind === 'url' && u.scheme === 'file')) {
    return undefined;
  }
  if (u.kind === 'opaque' || !(SOURCE_SCHEMES as readonly string[]).includes(u.scheme ?? '')) {
    return `scheme "${(u.scheme ?? '').slice(0, 20)}:" is never allowed`;
  }
  return undefined;
}
import type { Keys } from '../core/keys';

/**
 * Cameras changed at run time (PUT/DELETE /api/cameras/:id) are stored in one Redis hash so that every process
 * sees them: camera id -> JSON camera config, or the string `deleted` for a file camera removed through the API.
 * After a change the writer publishes the camera id on `keys.channels.config`; ingest processes re-read and apply.
 */
export const DELETED = 'deleted';

/** Stores (creates or replaces) a camera. `raw` is validated; throws ZodError on invalid input. */
export async function putCameraOverride(redis: Redis, keys: Keys, raw: unknown): Promise<CameraConfig> {
  const cam = cameraSchema.parse(raw);
  await redis.hset(keys.cameraOverrides, cam.id, JSON.stringify(cam));
  await redis.publish(keys.channels.config, cam.id);
  return cam;
}

/** Removes a camera (file cameras are masked, API cameras deleted). */
export async function deleteCameraOverride(redis: Redis, keys: Keys, id: string): Promise<void> {
  await redis.hset(keys.cameraOverrides, id, DELETED);
  await redis.publish(keys.channels.config, id);
}

/**
 * Reads every override. Entries that no longer validate are skipped and reported through `onInvalid`; with a
 * `policy` (the running `sources` config) so are entries the camera source policy refuses for API cameras (stored
 * before the policy existed, or before it was narrowed), so FFmpeg is never started for them.
 */
export async function readCameraOverrides(
  redis: Redis,
  keys: Keys,
  onInvalid: (id: string, err: unknown) => void = () => undefined,
  policy?: SourcesConfig,
): Promise<Map<string, CameraConfig | typeof DELETED>> {
  const raw = await redis.hgetall(keys.cameraOverrides);
  const out = new Map<string, CameraConfig | typeof DELETED>();
  for (const [id, value] of Object.entries(raw)) {
    if (value === DELETED) {
      out.set(id, DELETED);
      continue;
    }
    try {
      const cam = cameraSchema.parse(JSON.parse(value));
      const src = policy ? checkCameraSource(cam.url, policy, 'api') : undefined;
      if (src && !src.ok) {
        throw new Error(`url: ${src.message}`);
      }
      // Without the running policy, still skip what no policy can allow (FFmpeg pseudo-protocols such as concat:
      // and subfile:, unknown schemes): an override stored before the policy existed never reaches FFmpeg.
      const why = neverAllowed(cam.url);
      if (why) {
        throw new Error(`url: ${why}`);
      }
      out.set(id, cam);
    } catch (err) {
      onInvalid(id, err);
    }
  }
  return out;
}

/** Pure: the cameras in effect = file cameras, replaced/added/removed by the overrides. */
export function effectiveCameras(
  fileCameras: readonly CameraConfig[],
  overrides: ReadonlyMap<string, CameraConfig | typeof DELETED>,
): CameraConfig[] {
  const out = new Map<string, CameraConfig>();
  for (const c of fileCameras) {
    out.set(c.id, c);
  }
  for (const [id, o] of overrides) {
    if (o === DELETED) {
      out.delete(id);
    } else {
      out.set(id, o);
    }
  }
  return [...out.values()];
}
