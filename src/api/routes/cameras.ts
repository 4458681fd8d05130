import type { FastifyInstance } from 'fastify';
import { deleteCameraOverride, putCameraOverride, readCameraOverrides, DELETED } from '../../config/camera-overrides';
import type { Context } from '../../config/context';
import { detectProblem, liveBeats } from '../../core/instances';
import { VigilError } from '../../core/errors';
import { redact, redactUrl } from '../../core/redact';
import { cameraSchema } from '../../config/schema';
import { CAMERA_STATES, type CameraState, type CameraStatus } from '../../core/types';
import { cameraRuleProblems, currentCamera } from '../camera-edit';
import { guardApiCameraSource, type SourceGuardOptions } from '../source-guard';

const CAMERA_ID = /^[a-z0-9_-]{1,64}$/;
/** Camera configs are small; a larger body is a mistake or an attack. */
const CAMERA_BODY_LIMIT = 64 * 1024;

function num(v: string | undefined): number {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
}

/**
 * Pure: a camera status hash (protocol fields) as answered by the API, with what keeps it from being analysed
 * (`problems`, e.g. no detector loaded anywhere); never carries URLs or credentials.
 */
export function toCameraStatus(id: string, h: Record<string, string>, problems: readonly string[] = []): CameraStatus {
  const state = (CAMERA_STATES as readonly string[]).includes(h.state ?? '') ? (h.state as CameraState) : 'starting';
  const out: CameraStatus = {
    id,
    name: redact(h.name || id),
    state,
    lastFrameAt: h.lastFrameAt ? h.lastFrameAt : null,
    fps: { ingest: num(h.fpsIngest), detect: num(h.fpsDetect) },
    dropped: num(h.dropped),
    corrupt: num(h.corrupt),
  };
  if (h.reason) {
    out.reason = redact(h.reason);
  }
  if (problems.length > 0) {
    out.problems = problems.map((p) => redact(p));
  }
  if (h.transport === 'tcp' || h.transport === 'udp') {
    out.transport = h.transport;
  }
  if (h.recording === 'on' || h.recording === 'failed') {
    out.recording = { state: h.recording, seconds: num(h.recordingSeconds) };
    if (h.recording === 'failed' && h.recordingReason) {
      out.recording.reason = redact(h.recordingReason);
    }
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
/** How long the first frame.jpg after a quiet spell waits for the tracker to render one (it checks every second). */
const LIVE_WAIT_MS = 2500;

export async function camerasRoutes(app: FastifyInstance, ctx: Context, guard: SourceGuardOptions = {}): Promise<void> {
  const { keys } = ctx;
  const redis = () => app.vigil.redis;

  app.get('/api/cameras', async () => {
    const ids = (await redis().smembers(keys.cameraIndex)).sort();
    if (ids.length === 0) {
      return [];
    }
    const pipe = redis().pipeline();
    ids.forEach((id) => pipe.hgetall(keys.cameraStatus(id)));
    pipe.hgetall(keys.instances);
    const rows = (await pipe.exec()) ?? [];
    // A camera may stream while no process can detect its frames: say so (core/instances.ts).
    const detect = detectProblem(liveBeats((rows[ids.length]?.[1] as Record<string, string> | null) ?? {}));
    const problems = detect ? [detect] : [];
    return ids.map((id, i) => toCameraStatus(id, (rows[i]?.[1] as Record<string, string> | null) ?? {}, problems));
  });

  // The newest frame with its tracked objects, rendered by the camera's tracker (whatever process runs it) while
  // someone watches; else the newest plain frame, written by the process that ingests the camera while someone
  // watches. Asking marks the camera watched for 15 s; the first ask after a quiet spell waits for a frame.
  app.get<{ Params: { id: string } }>('/api/cameras/:id/frame.jpg', async (req, reply) => {
    const id = checkId(req.params.id);
    const r = redis();
    const [[, known], [, boxed], [, plain]] = ((await r
      .multi()
      .sismember(keys.cameraIndex, id)
      .getBuffer(keys.liveFrame(id))
      .getBuffer(keys.liveRawFrame(id))
      .set(keys.liveWanted(id), '1', 'PX', 15_000)
      .exec()) ?? []) as Array<[Error | null, unknown]>;
    let jpeg = ((boxed ?? plain) as Buffer | null) ?? null;
    if (!jpeg && known === 1) {
      const deadline = Date.now() + LIVE_WAIT_MS;
      while (!jpeg && Date.now() < deadline) {
        await new Promise((res) => setTimeout(res, 50));
        const [b, p] = await r.mgetBuffer(keys.liveFrame(id), keys.liveRawFrame(id));
        jpeg = b ?? p ?? null;
      }
    }
    if (!jpeg) {
      throw new VigilError('not_found', `no recent frame of camera ${id} (unknown, not streaming, or not tracked)`);
    }
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
      // No `url`: the camera keeps its source and settings (the zone and line editor never sees URLs). A source kept from the
      // config file passed the file's policy already; any other is checked against the API's.
      const current = await currentCamera(redis(), keys, ctx.config, id);
      const keepUrl = (body as { url?: unknown }).url === undefined && current !== undefined;
      // Without `url` the body changes the camera in effect: the fields it leaves out keep their values.
      const cam = cameraSchema.parse(keepUrl ? { ...current.camera, ...body, id } : { ...body, id });
      const problems = cameraRuleProblems(ctx.config, current?.all ?? [], cam);
      if (problems.length > 0) {
        throw new VigilError('bad_request', problems.join('; '));
      }
      if (!(keepUrl && current.origin === 'config')) {
        await guardApiCameraSource(cam.url, ctx.config.sources, guard);
      }
      await putCameraOverride(redis(), keys, cam);
      req.auditDetails = { url: redactUrl(cam.url), enabled: cam.enabled };
      // Answer only what is safe to show: never the URL.
      return { id: cam.id, name: cam.name ?? cam.id };
    },
  );

  app.delete<{ Params: { id: string } }>('/api/cameras/:id', { config: { role: 'admin' }, bodyLimit: 1024 }, async (req, reply) => {
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
