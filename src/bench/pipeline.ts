/**
 * One pipeline run of the bench: the real ingest and detect stages on a random Redis prefix, K cameras, each
 * asking for `fps` frames/s of a looped file or RTSP stream. A small consumer plays the part of a tracker in another
 * process (reads the detections streams and releases the frames' held pixels, track/held-pixels.ts). Measures over
 * `seconds` after a warm-up.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Counter } from 'prom-client';
import { configSchema, type VigilConfig } from '../config/schema';
import { Context } from '../config/context';
import type { Logger } from '../core/logger';
import type { DetectionResult } from '../core/types';
import { startDaemon } from '../daemon';
import { HeldPixels } from '../track/held-pixels';
import { summarize, type PipelineRun } from './stats';
import { purgePrefix } from '../core/purge';

/** Options of one pipeline run. */
export interface PipelineOptions {
  label: string;
  base: VigilConfig;
  urls: string[];
  fps: number;
  /** Files at full speed (ffmpeg paused while the queue is full, nothing dropped) instead of real time. @defaultValue true */
  realtime?: boolean;
  /** Frames in flight per camera. @defaultValue the camera default */
  maxInFlight?: number;
  width: number;
  seconds: number;
  warmupS: number;
  log: Logger;
}

async function counterValues(ctx: Context, name: string): Promise<Array<{ labels: Record<string, string | number>; value: number }>> {
  const m = ctx.metrics.getSingleMetric(name) as Counter<string> | undefined;
  return m ? (await m.get()).values.map((v) => ({ labels: v.labels as Record<string, string | number>, value: v.value })) : [];
}

/**
 * CPU time (ms) of this process's main thread alone (Linux /proc; NaN elsewhere). The inference workers are other
 * threads, so this is the Node work outside preprocessing, inference and decoding.
 */
export function mainThreadCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime) in clock ticks; after the ")" they are at index 11 and 12.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

/** Runs the pipeline once and measures it. */
export async function runPipeline(o: PipelineOptions): Promise<PipelineRun> {
  const prefix = `vigil-bench-${randomBytes(4).toString('hex')}`;
  const config = configSchema.parse({
    redis: { url: o.base.redis.url, prefix },
    server: { port: 0 },
    models: o.base.models,
    detect: o.base.detect,
    cameras: o.urls.map((url, i) => ({ id: `cam${i + 1}`, url, loop: true, realtime: o.realtime ?? true, detect: { fps: o.fps, width: o.width }, frameTtlSeconds: 5, ...(o.maxInFlight ? { maxInFlight: o.maxInFlight } : {}) })),
    log: { level: 'silent' },
  });
  const ctx = new Context(config, o.log, new Set(['ingest', 'detect']), { defaultMetrics: false });
  const redis = ctx.redis('bench');
  const held = new HeldPixels(redis, ctx.redis('bench-pixels', { maxRetriesPerRequest: null }), ctx.keys, `${ctx.instanceId}-bench`, o.log);
  const daemon = await startDaemon(ctx);
  const results: DetectionResult[] = [];
  const lastIds = new Map<string, string>(config.cameras.map((c) => [ctx.keys.detections(c.id), '0']));
  let consuming = true;
  // Plays a tracker elsewhere: collect results, release their pixels (one message per read of the streams).
  const consumer = (async () => {
    while (consuming) {
      for (const [key, last] of lastIds) {
        const entries = await redis.xrange(key, `(${last}`, '+', 'COUNT', 500).catch(() => [] as Array<[string, string[]]>);
        for (const [id, fields] of entries) {
          lastIds.set(key, id);
          const r = JSON.parse(fields[1]) as DetectionResult;
          results.push(r);
          if (r.holder !== undefined) {
            held.release(r.holder, r.frameKey);
          }
        }
        held.flush();
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    // Wait for the model, then warm up.
    const readyBy = Date.now() + 60_000;
    while ((ctx.stages.get('detect')?.readiness().length ?? 1) > 0 && Date.now() < readyBy) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, o.warmupS * 1000));
    const dropped0 = await counterValues(ctx, 'vigil_frames_dropped_total');
    const worker0 = await counterValues(ctx, 'vigil_detect_worker_seconds_total');
    const cpu0 = mainThreadCpuMs();
    const t0 = Date.now();
    let rss = process.memoryUsage().rss;
    const end = t0 + o.seconds * 1000;
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, 250));
      rss = Math.max(rss, process.memoryUsage().rss);
    }
    const t1 = Date.now();
    const cpuMs = mainThreadCpuMs() - cpu0;
    const dropped1 = await counterValues(ctx, 'vigil_frames_dropped_total');
    const worker1 = await counterValues(ctx, 'vigil_detect_worker_seconds_total');
    await new Promise((r) => setTimeout(r, 300));
    const inWindow = results.filter((r) => (r.times.publishedAt ?? 0) >= t0 && (r.times.publishedAt ?? 0) < t1);
    const frames = inWindow.length;
    const dropped: Record<string, number> = {};
    for (const v of dropped1) {
      const before = dropped0.find((x) => JSON.stringify(x.labels) === JSON.stringify(v.labels))?.value ?? 0;
      const reason = String(v.labels.reason);
      if (v.value - before > 0) {
        dropped[reason] = (dropped[reason] ?? 0) + v.value - before;
      }
    }
    const step = (s: string) => {
      const a = worker1.filter((v) => v.labels.step === s).reduce((x, v) => x + v.value, 0);
      const b = worker0.filter((v) => v.labels.step === s).reduce((x, v) => x + v.value, 0);
      return (a - b) * 1000;
    };
    const pre = step('pre');
    const infer = step('infer');
    const post = step('post');
    const n = Math.max(1, frames);
    const d = (f: (r: DetectionResult) => number) => inWindow.map(f);
    return {
      label: o.label,
      cameras: o.urls.length,
      offeredFps: o.fps * o.urls.length,
      detectFps: frames / ((t1 - t0) / 1000),
      frames,
      latencyMs: {
        captureToQueued: summarize(d((r) => r.times.queuedAt - r.times.capturedAt)),
        queuedToInferred: summarize(d((r) => r.times.inferredAt! - r.times.queuedAt)),
        inferredToPublished: summarize(d((r) => r.times.publishedAt! - r.times.inferredAt!)),
        captureToPublished: summarize(d((r) => r.times.publishedAt! - r.times.capturedAt)),
      },
      dropped,
      cpuMsPerFrameOutside: cpuMs / n,
      workerMsPerFrame: { pre: pre / n, infer: infer / n, post: post / n },
      rssMb: rss / 2 ** 20,
    };
  } finally {
    consuming = false;
    await consumer;
    await held.close();
    await daemon.stop();
    const cleanup = ctx.redis('bench-cleanup');
    await purgePrefix(cleanup, prefix);
    await ctx.closeConnections();
  }
}
