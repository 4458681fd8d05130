import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Context } from '../../config/context';
import type { VigilConfig } from '../../config/schema';
import { VigilError } from '../../core/errors';
import type { Alert, ClipRecord } from '../../core/types';
import { cameraRecording } from '../../ingest/recorder-args';
import { parseRange } from '../byte-range';
import { isStreamId } from '../params';

/** After an alert's end + post, the clip is waited for this long (a segment to finish, the cut) before "none". */
const GRACE_S = 20;

/** What GET /api/alerts/:id/clip.mp4 answers for an alert (pure; the file is checked by the route). */
export type ClipAnswer =
  | { kind: 'ready'; file: string }
  | { kind: 'pending'; retryAfterS: number; message: string }
  | { kind: 'none'; message: string };

/** The clip settings that apply to an alert: its rule's `clip`, its camera's recording. */
export function clipSettings(config: VigilConfig, alert: Pick<Alert, 'rule' | 'camera'>): { post: number; recorded: boolean; segmentSeconds: number } {
  const rule = config.rules.find((r) => r.id === alert.rule);
  const cam = config.cameras.find((c) => c.id === alert.camera);
  const rec = cameraRecording(cam ?? { url: 'rtsp://camera-added-through-the-api' }, config.recording);
  return { post: rule?.clip.post ?? 5, recorded: rec !== undefined, segmentSeconds: rec?.segmentSeconds ?? config.recording.segmentSeconds };
}

/**
 * Pure: the answer for an alert, its clip record (`keys.clip`, absent until the clip is cut or refused), its
 * settings, the recording directory and the time. A record says ready (the file) or none (why); without one, an
 * active alert's clip or one still within `post` + a grace after the end is pending; after that, or for a camera
 * that is not recorded, there is none.
 */
export function clipAnswer(
  alert: Alert,
  record: ClipRecord | undefined,
  s: { post: number; recorded: boolean; segmentSeconds: number },
  root: string,
  now: number,
): ClipAnswer {
  if (record?.state === 'ready') {
    const file = path.resolve(root, record.file);
    // The record crossed Redis: only `clips/<this alert's id>.mp4` under the recording directory is ever served.
    if (record.file !== `clips/${alert.id}.mp4` || path.dirname(file) !== path.join(path.resolve(root), 'clips')) {
      return { kind: 'none', message: 'the clip record of this alert is invalid' };
    }
    return { kind: 'ready', file };
  }
  if (record?.state === 'none') {
    return { kind: 'none', message: `this alert has no clip: ${record.reason}` };
  }
  if (!s.recorded) {
    return { kind: 'none', message: `this alert has no clip: camera ${alert.camera} is not recorded (recording.enabled)` };
  }
  if (alert.state === 'active' || alert.endedAt === undefined) {
    return { kind: 'pending', retryAfterS: Math.ceil(s.post + s.segmentSeconds + 2), message: `the clip is cut ${s.post} s after the alert ends; the alert is still active` };
  }
  const readyBy = Date.parse(alert.endedAt) + (s.post + 2 * s.segmentSeconds + GRACE_S) * 1000;
  if (now < readyBy) {
    return { kind: 'pending', retryAfterS: Math.max(1, Math.ceil((Date.parse(alert.endedAt) + (s.post + s.segmentSeconds) * 1000 - now) / 1000)), message: 'the clip is not cut yet' };
  }
  return { kind: 'none', message: `this alert has no clip: no process recorded camera ${alert.camera} at the time` };
}

/** GET /api/alerts/:id/clip.mp4 (any token, like the other alert routes): the alert's clip, with range requests. */
export async function clipsRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  app.get<{ Params: { id: string } }>('/api/alerts/:id/clip.mp4', async (req, reply) => {
    const id = req.params.id;
    if (!/^\d{1,20}-\d{1,20}$/.test(id) || !isStreamId(id)) {
      throw new VigilError('not_found', 'no such alert');
    }
    const alert = await app.vigil.store.getAlert(id);
    if (!alert) {
      throw new VigilError('not_found', 'no such alert');
    }
    const raw = await app.vigil.redis.get(ctx.keys.clip(id));
    let record: ClipRecord | undefined;
    try {
      record = raw === null ? undefined : (JSON.parse(raw) as ClipRecord);
    } catch {
      record = { state: 'none', reason: 'the clip record of this alert is invalid' };
    }
    const answer = clipAnswer(alert, record, clipSettings(ctx.config, alert), ctx.config.recording.dir, Date.now());
    if (answer.kind === 'pending') {
      void reply.header('retry-after', String(answer.retryAfterS));
      throw new VigilError('clip_pending', answer.message);
    }
    if (answer.kind === 'none') {
      throw new VigilError('no_recording', answer.message);
    }
    const info = await stat(answer.file).catch(() => undefined);
    if (!info || !info.isFile()) {
      throw new VigilError('no_recording', 'this alert has no clip: its file is gone from the recording directory');
    }
    const size = info.size;
    const etag = `"${size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    void reply
      .header('accept-ranges', 'bytes')
      .header('etag', etag)
      .header('last-modified', info.mtime.toUTCString())
      .header('cache-control', 'private, max-age=3600')
      .type('video/mp4');
    const ifRange = req.headers['if-range'];
    const range = ifRange !== undefined && ifRange !== etag ? { kind: 'full' as const } : parseRange(req.headers.range, size);
    if (range.kind === 'unsatisfiable') {
      void reply.header('content-range', `bytes */${size}`);
      throw new VigilError('range_not_satisfiable', `range not satisfiable: the clip has ${size} bytes (Range: bytes=START-END, START below ${size})`);
    }
    if (range.kind === 'partial') {
      void reply
        .code(206)
        .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
        .header('content-length', String(range.end - range.start + 1));
      return reply.send(createReadStream(answer.file, { start: range.start, end: range.end }));
    }
    void reply.header('content-length', String(size));
    return reply.send(createReadStream(answer.file));
  });
}
