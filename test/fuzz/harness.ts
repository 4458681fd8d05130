/**
 * Shared pieces of the fuzz suite (issue 14, item 5): one in-process API (HTTP + WebSocket on a loopback port,
 * real Redis, real face detector with stand-in landmark/embedding nets) with some data to find, resource probes,
 * and the check every answer must pass.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { AlertStore } from '../../src/alerts';
import { buildServer } from '../../src/api/server';
import { configSchema } from '../../src/config/schema';
import { Context } from '../../src/config/context';
import { nullLogger } from '../../src/core/logger';
import { UltraFaceDetector } from '../../src/faces/detector';
import { provideFaceModels } from '../../src/faces/models';
import { WatchlistStore } from '../../src/faces/watchlist';
import { reloadConfig } from '../../src/daemon';
import { WsHub } from '../../src/ws';
import { ADMIN, VIEWER, cleanup, heapAfterGc, writeAlerts } from '../api/helpers';
import { fakeFaceNets, pngClaiming } from '../faces/helpers';
import { randomBytes } from 'node:crypto';
import { MEDIA, MODELS, REDIS_URL } from '../helpers';

export { ADMIN, VIEWER };

/** Every random choice of the suite derives from this seed (replay a failure with the same seed). */
export const SEED = Number(process.env.VIGIL_FUZZ_SEED ?? 20_261_204);

/** The running API under fuzz, and what exists in it. */
export interface FuzzTarget {
  ctx: Context;
  port: number;
  hub: WsHub;
  store: AlertStore;
  alertIds: string[];
  faceIds: string[];
  close(): Promise<void>;
}

/** Starts the API on 127.0.0.1:0 with seed data. */
export async function startTarget(): Promise<FuzzTarget> {
  const prefix = `vigil-test-${randomBytes(5).toString('hex')}`;
  const raw = {
    redis: { url: REDIS_URL, prefix },
    server: {
      host: '127.0.0.1',
      port: 0,
      tokens: [
        { name: 'ops', token: ADMIN, role: 'admin' },
        { name: 'guard', token: VIEWER, role: 'viewer' },
      ],
      // The fuzzer fails authentication on purpose thousands of times from one address.
      authFailures: { burst: 1_000_000, perMinute: 1_000_000 },
      wsMaxMessageBytes: 16 * 1024,
    },
    faces: { maxImageBytes: 1024 * 1024 },
    cameras: [{ id: 'yard', url: 'rtsp://127.0.0.1:8554/yard' }],
  };
  const config = configSchema.parse(raw);
  const ctx = new Context(config, nullLogger(), new Set(['api']), { defaultMetrics: false });
  // POST /api/config/reload re-reads "the file": here the same config, or a copy moved to another port (refused).
  let flip = 0;
  ctx.reloadFromSource = (by) => reloadConfig(ctx, () => (flip++ % 2 === 0 ? config : configSchema.parse({ ...raw, server: { ...raw.server, port: 1 } })), undefined, by);
  const detector = await UltraFaceDetector.load(path.join(MODELS, 'ultraface-rfb-320.onnx'));
  provideFaceModels(ctx, { detector, ...fakeFaceNets() });
  const redis = ctx.redis('fuzz-api');
  const store = new AlertStore(redis, ctx.keys);
  const deadLetters = { list: async () => [], replay: async (id: string) => (id === 'dl-1' ? ({ id } as never) : undefined) };
  const app = await buildServer(ctx, { redis, store, deadLetters });
  const hub = new WsHub(ctx, app.server, store, redis, { maxPayload: config.server.wsMaxMessageBytes, maxBufferedBytes: config.server.wsMaxBufferedBytes, pingIntervalMs: 30_000, ...(app.vigil.limiter ? { limiter: app.vigil.limiter } : {}) });
  await hub.start();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  // Data to find: alerts with snapshots, a camera with a frame in flight, a face identity.
  const alertIds = await writeAlerts(store, 30, { camera: 'yard' });
  await redis.sadd(ctx.keys.cameraIndex, 'yard');
  await redis.hset(ctx.keys.cameraStatus('yard'), { state: 'streaming', fpsIngest: '5', fpsDetect: '5', dropped: '0', lastFrameAt: new Date().toISOString() });
  const w = 64;
  const h = 48;
  await redis.xadd(ctx.keys.detections('yard'), '*', 'd', JSON.stringify({ camera: 'yard', seq: 10, frameKey: ctx.keys.frame('yard', 10), width: w, height: h, format: 'rgb24', times: { capturedAt: 0, queuedAt: 0 }, model: 'm', detections: [{ label: 'person', score: 0.9, box: [0.1, 0.1, 0.5, 0.9] }] }));
  await redis.set(ctx.keys.frame('yard', 10), Buffer.alloc(w * h * 3, 90));
  const face = await new WatchlistStore(redis, ctx.keys).add('Seed', [new Array(128).fill(0.05)]);
  return {
    ctx,
    port,
    hub,
    store,
    alertIds,
    faceIds: [face.id],
    close: async () => {
      await hub.close();
      await app.close();
      await cleanup(ctx);
    },
  };
}

/** Images the HTTP fuzzer sends: real photos (faces, none, several), tiny valid ones, corrupt, truncated, bombs. */
export async function imagePool(): Promise<Buffer[]> {
  const faces = path.join(MEDIA, 'faces');
  const photos = readdirSync(faces)
    .filter((f) => /\.(jpe?g|png)$/i.test(f))
    .slice(0, 4)
    .map((f) => readFileSync(path.join(faces, f)));
  const small = await Promise.all(
    photos.map((p) => sharp(p).resize(160).jpeg({ quality: 70 }).toBuffer()),
  );
  const tinyPng = await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 9, g: 99, b: 200 } } }).png().toBuffer();
  const tinyJpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 200, g: 9, b: 9 } } }).jpeg().toBuffer();
  const webp = await sharp({ create: { width: 20, height: 10, channels: 4, background: { r: 1, g: 2, b: 3, alpha: 0.5 } } }).webp().toBuffer();
  const gif = await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 5, g: 5, b: 5 } } }).gif().toBuffer();
  const truncated = small.map((b) => b.subarray(0, Math.floor(b.length / 3)));
  const flipped = small.map((b) => {
    const c = Buffer.from(b);
    for (let i = 200; i < c.length; i += 97) {
      c[i] ^= 0x5a;
    }
    return c;
  });
  return [
    ...small,
    tinyPng,
    tinyJpeg,
    webp,
    gif,
    ...truncated,
    ...flipped,
    pngClaiming(tinyPng, 30_000, 30_000),
    pngClaiming(tinyPng, 1, 100_000_000),
    Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(64, 0)]),
    Buffer.from('GIF89a'),
    Buffer.alloc(0),
    Buffer.alloc(1024 * 1024 + 10, 0x41),
  ];
}

/** Open file descriptors of this process. */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** RSS after a full garbage collection. */
export function rssAfterGc(): number {
  heapAfterGc();
  return process.memoryUsage().rss;
}

/** The check every HTTP answer passes: no 5xx; a 4xx is `{error:{code,message}}`; under 5 s. */
export function checkAnswer(what: string, status: number, contentType: string | undefined, body: Buffer, ms: number, method: string): void {
  assert.ok(status > 0, `${what}: no answer`);
  assert.ok(status < 500, `${what}: ${status} ${body.toString('utf8', 0, 300)}`);
  assert.ok(ms < 5000, `${what}: took ${ms} ms`);
  if (status >= 400 && method !== 'HEAD') {
    assert.match(contentType ?? '', /^application\/json/, `${what}: ${status} with ${contentType}`);
    let parsed: { error?: { code?: unknown; message?: unknown } } & Record<string, unknown>;
    try {
      parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
    } catch {
      assert.fail(`${what}: ${status} body is not JSON: ${body.toString('utf8', 0, 200)}`);
    }
    assert.ok(parsed && typeof parsed.error?.code === 'string' && typeof parsed.error.message === 'string', `${what}: ${status} ${body.toString('utf8', 0, 300)}`);
    assert.deepEqual(Object.keys(parsed), ['error'], `${what}: extra fields ${body.toString('utf8', 0, 200)}`);
  }
}
