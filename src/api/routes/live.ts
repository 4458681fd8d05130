import type { FastifyInstance } from 'fastify';
import type { Context } from '../../config/context';
import { decodeLiveFrame } from '../../core/live-frame';
import { VigilError } from '../../core/errors';
import { liveMetrics, type LiveFeed } from '../../ws/live-feed';

/** Unsent bytes above which a response skips frames (a few frames: fresh frames, not a backlog). */
const MAX_UNSENT = 256 * 1024;

const CAMERA_ID = /^[a-z0-9_-]{1,64}$/;
const BOUNDARY = 'vigilframe';

/**
 * GET /api/cameras/:id/live.mjpeg: the camera's plain frames at its detect rate as multipart MJPEG, for tools that
 * play MJPEG with an Authorization header (ffplay, VLC, NVR and home-automation cameras). The dashboard uses the
 * `/ws/live` WebSocket instead (one connection for a whole grid; browsers allow 6 HTTP/1.1 connections per host).
 * A response whose unsent data is over 256 KiB (or `server.wsMaxBufferedBytes / 4`) skips frames until it has caught up.
 */
export async function liveRoutes(app: FastifyInstance, ctx: Context, feed: LiveFeed | undefined): Promise<void> {
  const metrics = liveMetrics(ctx.metrics);
  app.get<{ Params: { id: string } }>('/api/cameras/:id/live.mjpeg', async (req, reply) => {
    const id = req.params.id;
    if (!CAMERA_ID.test(id) || (await app.vigil.redis.sismember(ctx.keys.cameraIndex, id)) !== 1) {
      throw new VigilError('not_found', `no camera ${id.slice(0, 64)}`);
    }
    if (!feed) {
      // A server built without the live feed (embedded without the api stage's live socket): nothing to stream here.
      throw new VigilError('not_found', 'this server has no live view (the api stage serves it)');
    }
    const limit = Math.min(ctx.config.server.wsMaxBufferedBytes / 4, MAX_UNSENT);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': `multipart/x-mixed-replace; boundary=${BOUNDARY}`,
      'cache-control': 'no-store',
      connection: 'close',
    });
    const stop = feed.watch(id, (_camera, envelope) => {
      if (res.writableLength > limit) {
        metrics.dropped.inc({ transport: 'mjpeg' });
        return;
      }
      const f = decodeLiveFrame(envelope);
      if (!f) {
        return;
      }
      metrics.sent.inc({ transport: 'mjpeg' });
      res.cork();
      res.write(`--${BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${f.jpeg.length}\r\nX-Captured-At: ${f.capturedAt}\r\n\r\n`);
      res.write(f.jpeg);
      res.write('\r\n');
      res.uncork();
    });
    const end = () => stop();
    req.raw.on('close', end);
    res.on('close', end);
    res.on('error', end);
  });
}
