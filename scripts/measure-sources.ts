/**
 * Measures what a detector gets from the HTTP source kinds with each timing, on the test servers of
 * src/testing/http-media-server.ts: frames per second at the detector (by capture time) and frames superseded in the
 * camera's mailbox, per second of a 20 s window after a 3 s warm-up, with a stand-in detector taking 60 ms a frame.
 * The numbers are in docs/pipeline.md ("Sources").
 *
 * Run: VIGIL_TEST_MEDIA=../shared/media npx tsx scripts/measure-sources.ts   (Redis on 127.0.0.1:6379)
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Worker, type Job } from 'bullmq';
import Redis from 'ioredis';
import { parseConfig } from '../src/config/load';
import { Context } from '../src/config/context';
import { nullLogger } from '../src/core/logger';
import type { FrameTicket } from '../src/core/types';
import { RemoteFrames } from '../src/detect/remote-frames';
import { startIngest } from '../src/ingest';
import { extractJpegs, HttpMediaServer, makeHls } from '../src/testing/http-media-server';

const REDIS = process.env.VIGIL_REDIS_URL ?? 'redis://127.0.0.1:6379';
const VIDEO = path.join(process.env.VIGIL_TEST_MEDIA ?? path.join(__dirname, '..', '..', 'shared', 'media'), 'vtest.mp4');
const WARMUP_MS = 3000;
const WINDOW_MS = 20_000;

async function measure(url: string, timing: string): Promise<string> {
  const prefix = `vigil-measure-${randomBytes(4).toString('hex')}`;
  const config = parseConfig(JSON.stringify({ redis: { url: REDIS, prefix }, cameras: [{ id: 'm', url, timing, detect: { fps: 5, width: 320 } }] }), {
    VIGIL_NO_DEMO: '1',
  });
  const ctx = new Context(config, nullLogger(), new Set(['ingest']), { defaultMetrics: false });
  const ingest = await startIngest(ctx);
  const conn = new Redis(REDIS, { maxRetriesPerRequest: null });
  const cmd = new Redis(REDIS);
  const blocking = new Redis(REDIS, { maxRetriesPerRequest: null });
  const remote = new RemoteFrames(cmd, blocking, ctx.keys, `measure-${prefix}`, nullLogger());
  const captured: number[] = [];
  const worker = new Worker<FrameTicket>(
    ctx.keys.queues.frames,
    async (job: Job<FrameTicket>) => {
      const f = await remote.request(job.data, job.id!);
      if (typeof f !== 'string') {
        captured.push(f.capturedAt);
        await new Promise((r) => setTimeout(r, 60));
      }
    },
    { connection: conn, prefix: ctx.keys.bullPrefix, concurrency: 1 },
  );
  const superseded = async () => {
    const m = await ctx.metrics.getSingleMetric('vigil_frames_dropped_total')!.get();
    return m.values.filter((v) => v.labels.reason === 'superseded').reduce((a, v) => a + v.value, 0);
  };
  while (captured.length === 0) {
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  const t0 = Date.now();
  const s0 = await superseded();
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  const s1 = await superseded();
  const perSecond = Array.from({ length: WINDOW_MS / 1000 }, (_, i) => captured.filter((c) => c >= t0 + i * 1000 && c < t0 + (i + 1) * 1000).length);
  await worker.close();
  await remote.close();
  await ingest.close();
  await ctx.closeConnections();
  for (const r of [conn, cmd, blocking]) {
    r.disconnect();
  }
  const admin = new Redis(REDIS);
  const keys = await admin.keys(`${prefix}:*`);
  if (keys.length) {
    await admin.del(...keys);
  }
  admin.disconnect();
  const fps = perSecond.reduce((a, b) => a + b, 0) / (WINDOW_MS / 1000);
  return `| ${timing} | ${fps.toFixed(2)} | ${Math.min(...perSecond)}–${Math.max(...perSecond)} | ${((s1 - s0) / (WINDOW_MS / 1000)).toFixed(2)} |`;
}

async function main(): Promise<void> {
  const http = await HttpMediaServer.start();
  try {
    http.mjpeg('/mjpeg', extractJpegs(VIDEO, http.tempDir(), 5, 12, 640), 5);
    const hls = http.tempDir();
    makeHls(VIDEO, hls, 2);
    const rows: string[] = [];
    for (const t of ['stream', 'wallclock']) {
      rows.push(`| MJPEG over HTTP, 5 fps ${await measure(http.url('/mjpeg'), t)}`);
    }
    for (const t of ['stream', 'wallclock', 'paced']) {
      // A live stream of its own per run (the playlist's clock starts at its first request).
      http.hlsLive(`/hls-${t}`, hls);
      rows.push(`| live HLS, 2 s segments, 10 fps ${await measure(http.url(`/hls-${t}/index.m3u8`), t)}`);
    }
    process.stdout.write(
      ['| source | timing | frames/s at the detector (detect.fps 5) | per second, min–max | superseded per second |', '|---|---|---|---|---|', ...rows, ''].join('\n'),
    );
  } finally {
    await http.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
