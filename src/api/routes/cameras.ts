import type { FastifyInstance } from 'fastify';
import { renderSnapshot } from '../../alerts';
import { deleteCameraOverride, putCameraOverride, readCameraOverrides, DELETED } from '../../core/camera-overrides';
import type { Context } from '../../core/context';
import { VigilError } from '../../core/errors';
import { redact, redactUrl } from '../../core/redact';
import { cameraSchema } from '../../config/schema';
import { CAMERA_STATES, type CameraState, type CameraStatus, type DetectionResult } from '../../core/types';
import { AnswerCache } from '../answer-cache';
import { guardApiCameraSource, type SourceGuardOptions } from '../source-guard';

const CAMERA_ID = /^[a-z0-9_-]{1,64}$/;
/** Camera configs are small; a larger body is a mistake or an attack. */
const CAMERA_BODY_LIMIT = 64 * 1024;

function num(v: string | undefined): number {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
}

/** Pure: a camera status hash (protocol fields) as answered by the API; never carries URLs or credentials. */
export function toCameraStatus(id: string, h: Record<string, string>): CameraStatus {
  const state = (CAMERA_STATES as readonly string[]).includes(h.state ?? '') ? (h.state as CameraState) : 'starting';
  const out: CameraStatus = {
    id,
    name: redact(h.name || id),
    state,
    lastFrameAt: h.lastFrameAt ? h.lastFrameAt : null,
    fps: { ingest: num(h.fpsIngest), detect: num(h.fpsDetect) },
    dropped: num(h.dropped),
  };
  if (h.reason) {
    out.reason = redact(h.reason);
  }
  return out;
}

function checkId(id: string): string {
  if (!CAMERA_ID.test(id)) {
    throw new VigilError('bad_request', 'id: must match [a-z0-9_-]{1,64}');
  }
  return id;
}

/**
 * GET /api/cameras, GET /api/cameras/:id/frame.jpg, PUT and DELETE /api/cameras/:id (admin). A camera put through
 * the API passes the same validation as the config file (cameraSchema) and the camera source policy for API cameras
 * (`sources`): a refused URL is a 400 and nothing is stored, so no ingest process ever starts FFmpeg for it.
 */
export async function camerasRoutes(app: FastifyInstance, ctx: Context, guard: SourceGuardOptions = {}): Promise<void> {
  const { keys } = ctx;
  const redis = () => app.vigil.redis;
  // One rendered JPEG per camera and detection result, shared by every client asking for it meanwhile.
  const frames = new AnswerCache({ maxEntries: 256, maxBytes: 32 * 1024 * 1024, maxAgeMs: 2000 });

  app.get('/api/cameras', async () => {
    const ids = (await redis().smembers(keys.cameraIndex)).sort();
    if (ids.length === 0) {
      return [];
    }
    const pipe = redis().pipeline();
    ids.forEach((id) => pipe.hgetall(keys.cameraStatus(id)));
    const rows = (await pipe.exec()) ?? [];
    return ids.map((id, i) => toCameraStatus(id, (rows[i]?.[1] as Record<string, string> | null) ?? {}));
  });

  app.get<{ Params: { id: string } }>('/api/cameras/:id/frame.jpg', async (req, reply) => {
    const id = checkId(req.params.id);
    const last = await redis().xrevrange(keys.detections(id), '+', '-', 'COUNT', 1);
    const entry = last[0];
    const fields = entry?.[1];
    const d = fields ? fields[fields.indexOf('d') + 1] : undefined;
    if (!entry || !d) {
      throw new VigilError('not_found', `no recent frame of camera ${id}`);
    }
    const jpeg = await frames.get(id, entry[0], async () => {
      const result = JSON.parse(d) as DetectionResult;
      // The frame of the newest result is usually freed already; frames still in flight are newer by one or two.
      const size = result.width * result.height * 3;
      const seqs = [result.seq + 2, result.seq + 1, result.seq];
      const lens = ((await seqs.reduce((p, s) => p.strlen(keys.frame(id, s)), redis().pipeline()).exec()) ?? []).map((r) => Number(r[1]));
      const found = seqs.find((_s, i) => lens[i] === size);
      const pixels = found === undefined ? null : await redis().getBuffer(keys.frame(id, found));
      if (!pixels || pixels.length !== size) {
        throw new VigilError('not_found', `no recent frame of camera ${id}`);
      }
      const objects = result.detections.map((x) => ({ trackId: 0, label: x.label, score: x.score, box: x.box }));
      return renderSnapshot(pixels, result.width, result.height, objects, { quality: 70 });
    });
    return reply.type('image/jpeg').header('cache-control', 'no-store').send(jpeg);
  });

  app.put<{ Params: { id: string }; Body: unknown }>(
    '/api/cameras/:id',
    { config: { role: 'admin' }, bodyLimit: CAMERA_BODY_LIMIT },
    async (req) => {
      const id = checkId(req.params.id);
      const body = req.body;
      if (!body || typeof body !== 'object' || Array.isArray(body)) {
        throw new VigilError('bad_request', '(body): must be a JSON object with the camera config');
      }
      const given = (body as { id?: unknown }).id;
      if (given !== undefined && given !== id) {
        throw new VigilError('bad_request', `id: does not match the URL (${id})`);
      }
      const cam = cameraSchema.parse({ ...body, id });
      await guardApiCameraSource(cam.url, ctx.config.sources, guard);
      await putCameraOverride(redis(), keys, cam);
      req.auditDetails = { url: redactUrl(cam.url), enabled: cam.enabled };
      // Answer only what is safe to show: never the URL.
      return { id: cam.id, name: cam.name ?? cam.id };
    },
  );

  app.delete<{ Params: { id: string } }>('/api/cameras/:id', { config: { role: 'admin' } }, async (req, reply) => {
    const id = checkId(req.params.id);
    const overrides = await readCameraOverrides(redis(), keys);
    const o = overrides.get(id);
    const known =
      (o !== undefined && o !== DELETED) ||
      (o === undefined && ctx.config.cameras.some((c) => c.id === id)) ||
      (await redis().sismember(keys.cameraIndex, id)) === 1;
    if (!known) {
      throw new VigilError('not_found', `no camera ${id}`);
    }
    await deleteCameraOverride(redis(), keys, id);
    return reply.code(204).send();
  });
}
