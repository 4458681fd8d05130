import type { FastifyInstance } from 'fastify';
import type { Context } from '../../config/context';
import { VigilError } from '../../core/errors';
import { currentCamera, rulesOf } from '../camera-edit';

const CAMERA_ID = /^[a-z0-9_-]{1,64}$/;

/**
 * GET /api/cameras/:id/config: what the dashboard draws and edits, never the URL: the camera's zones and lines, its
 * detect settings, where it is configured (`origin`: the config file, or `api` for a run-time override) and the
 * running rules that apply to it with their settings.
 */
export async function cameraConfigRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  app.get<{ Params: { id: string } }>('/api/cameras/:id/config', async (req) => {
    const id = req.params.id;
    const found = CAMERA_ID.test(id) ? await currentCamera(app.vigil.redis, ctx.keys, ctx.config, id) : undefined;
    if (!found) {
      throw new VigilError('not_found', `no camera ${id.slice(0, 64)}`);
    }
    const c = found.camera;
    return {
      id: c.id,
      name: c.name ?? c.id,
      origin: found.origin,
      enabled: c.enabled,
      detect: c.detect,
      zones: c.zones,
      lines: c.lines,
      rules: rulesOf(ctx.config, id),
    };
  });
}
