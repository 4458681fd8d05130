/**
 * The pipeline side of `vigil bench live`: the real daemon (every role) in a process of its own on N live cameras,
 * measured from outside after a warm-up, the way an operator would see it: detections from the cameras' Redis
 * streams (capture and publish times of every frame), drops and restarts from `/metrics`, CPU and RSS of the Node
 * process and its FFmpeg children from /proc, Redis `used_memory` from INFO. Runs on a random Redis prefix that is
 * purged afterwards (after counting the frame keys the daemon left behind).
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import type { VigilConfig } from '../config/schema';
import { Keys } from '../core/keys';
import type { Logger } from '../core/logger';
import { purgePrefix } from '../core/purge';
import type { DetectionResult } from '../core/types';
import { DaemonProcess } from './daemon-process';
import { cameraRates, counterDelta, cpuPercent, spread, sumBy, TickAccount, total, type PromSample, type Spread } from './live-stats';
import { clockTicks } from './proc';
import { summarize, type Percentiles } from './stats';

/** Options of one pipeline run. */
export interface LivePipelineOptions {
  /** Redis URL, models and detect sections come from here. */
  base: VigilConfig;
  urls: string[];
  fps: number;
  /** cameras[].detect.width / height (omitted: the daemon's defaults). */
  detectWidth?: number;
  detectHeight?: number;
  seconds: number;
  warmupS: number;
  log: Logger;
}

/** What the pipeline measured. */
export interface LivePipelineResult {
  detectFps: number;
  frames: number;
  perCameraFps: Spread;
  /** Capture (the frame's last byte out of FFmpeg) → detections published (XADD). */
  latencyMs: Percentiles;
  /** Frames FFmpeg delivered to the ingest in the window. */
  framesIn: number;
  dropped: Record<string, number>;
  /** FFmpeg restarts in the window. */
  restarts: number;
  /** % of one core per camera: FFmpeg, the whole Node process (every thread), its main thread alone. */
  cpuPctPerCamera: { ffmpeg: number; node: number; nodeMain: number };
  /** Peak RSS of the daemon process and of its FFmpeg children together, MB. */
  rssMb: number;
  ffmpegRssMb: number;
  /** Redis INFO used_memory at the end minus at the start of the window, MB (the whole Redis). */
  redisUsedMemoryDeltaMb: number;
  /** MEMORY USAGE of every key of the run's prefix at the end of the window, MB. */
  prefixMemoryMb: number;
  /** Frame pixel keys still in Redis after the daemon stopped. */
  frameKeysLeft: number;
  /** Warnings and errors the daemon logged during the whole run, by message. */
  warnings: Record<string, number>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Redis INFO used_memory, bytes. */
export async function usedMemory(redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? NaN);
}

/** The kind of a key under `prefix:`: its first segment, with the queue name for BullMQ keys (`det`, `bull:frames`). */
export function keyKind(key: string, prefix: string): string {
  const parts = key.slice(prefix.length + 1).split(':');
  return parts[0] === 'bull' && parts.length > 1 ? `bull:${parts[1]}` : parts[0];
}

/**
 * Keys matching `pattern` (SCAN) and, with `memory`, the sum of their MEMORY USAGE, also by kind of key
 * ({@link keyKind} under `prefix`).
 */
export async function scanPrefix(
  redis: Redis,
  pattern: string,
  memory = false,
  prefix = pattern.replace(/:\*$/, ''),
): Promise<{ keys: number; bytes: number; byKind: Record<string, number> }> {
  let cursor = '0';
  let keys = 0;
  let bytes = 0;
  const byKind: Record<string, number> = {};
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    keys += batch.length;
    if (memory && batch.length > 0) {
      const p = redis.pipeline();
      for (const k of batch) {
        p.call('MEMORY', 'USAGE', k, 'SAMPLES', '0');
      }
      const replies = (await p.exec()) ?? [];
      replies.forEach(([, v], i) => {
        const b = Number(v ?? 0) || 0;
        bytes += b;
        const kind = keyKind(batch[i], prefix);
        byKind[kind] = (byKind[kind] ?? 0) + b;
      });
    }
  } while (cursor !== '0');
  return { keys, bytes, byKind };
}

/** A frame's times as read from a detections stream. */
export interface Published {
  camera: string;
  capturedAt: number;
  publishedAt: number;
}

/**
 * Follows the detections streams of some cameras (XRANGE from the last id read, every `intervalMs`), keeping each
 * frame's camera and times.
 */
export class DetectionsReader {
  readonly frames: Published[] = [];
  private readonly last: Map<string, string>;
  private running = true;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    readonly cameras: readonly string[],
    private readonly intervalMs = 200,
  ) {
    this.last = new Map(cameras.map((c) => [c, '0']));
  }

  /** Starts following. */
  start(): void {
    this.loop = (async () => {
      while (this.running) {
        await this.readOnce().catch(() => undefined);
        await sleep(this.intervalMs);
      }
    })();
  }

  /** Reads what is new in every stream once. */
  async readOnce(): Promise<void> {
    const p = this.redis.pipeline();
    for (const c of this.cameras) {
      p.xrange(this.keys.detections(c), `(${this.last.get(c)}`, '+', 'COUNT', 2000);
    }
    const replies = (await p.exec()) ?? [];
    replies.forEach(([err, entries], i) => {
      if (err || !Array.isArray(entries)) {
        return;
      }
      const camera = this.cameras[i];
      for (const [id, fields] of entries as Array<[string, string[]]>) {
        this.last.set(camera, id);
        const json = fields[fields.indexOf('d') + 1];
        if (json === undefined) {
          continue;
        }
        const r = JSON.parse(json) as DetectionResult;
        if (typeof r.times?.capturedAt === 'number' && typeof r.times.publishedAt === 'number') {
          this.frames.push({ camera, capturedAt: r.times.capturedAt, publishedAt: r.times.publishedAt });
        }
      }
    });
  }

  /** Cameras with at least one frame read. */
  get camerasSeen(): number {
    return new Set(this.frames.map((f) => f.camera)).size;
  }

  /** Stops following (after one last read). */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.readOnce().catch(() => undefined);
  }
}

/** Drops by reason (summed over cameras), frames in, restarts and detected frames from a /metrics scrape. */
export function pipelineCounters(m: readonly PromSample[]): { dropped: Record<string, number>; framesIn: number; restarts: number; detected: number } {
  return {
    dropped: sumBy(m, 'vigil_frames_dropped_total', 'reason'),
    framesIn: total(m, 'vigil_ingest_frames_total'),
    restarts: total(m, 'vigil_ingest_restarts_total'),
    detected: total(m, 'vigil_detect_frames_total'),
  };
}

/** The bench's cameras: `cam1` … `camN` on the given URLs, `detect: { fps, width?, height? }`. */
export function benchCameras(urls: readonly string[], fps: number, width?: number, height?: number): Array<Record<string, unknown>> {
  return urls.map((url, i) => ({
    id: `cam${i + 1}`,
    url,
    detect: { fps, ...(width !== undefined ? { width } : {}), ...(height !== undefined ? { height } : {}) },
  }));
}

/** Runs the daemon once on the cameras and measures it. */
export async function runLivePipeline(o: LivePipelineOptions): Promise<LivePipelineResult> {
  const prefix = `vigil-live-${randomBytes(4).toString('hex')}`;
  const keys = new Keys(prefix);
  const cameras = benchCameras(o.urls, o.fps, o.detectWidth, o.detectHeight);
  const ids = cameras.map((c) => String(c.id));
  const redis = new Redis(o.base.redis.url, { lazyConnect: false, maxRetriesPerRequest: 3 });
  let daemon: DaemonProcess | undefined;
  const reader = new DetectionsReader(redis, keys, ids);
  try {
    daemon = await DaemonProcess.start({
      config: { redis: { url: o.base.redis.url, prefix }, models: o.base.models, detect: o.base.detect, cameras },
    });
    const d = daemon;
    reader.start();
    const alive = () => {
      if (!d.running) {
        throw new Error(`the daemon exited during the run (${d.exit?.signal ?? `code ${d.exit?.code}`}): ${d.logTail()}`);
      }
    };
    const allBy = Date.now() + 60_000;
    while (reader.camerasSeen < ids.length && Date.now() < allBy) {
      alive();
      await sleep(250);
    }
    o.log.info({ cameras: ids.length, detecting: reader.camerasSeen }, 'bench live: pipeline warming up');
    await sleep(o.warmupS * 1000);
    alive();

    const m0 = pipelineCounters(await d.metrics());
    const used0 = await usedMemory(redis);
    const ff = new TickAccount();
    const s0 = d.sample();
    ff.sample(s0.ffmpegTicks);
    let rss = s0.rssBytes;
    let ffRss = Number.isFinite(s0.ffmpegRssBytes) ? s0.ffmpegRssBytes : 0;
    const t0 = Date.now();
    const end = t0 + o.seconds * 1000;
    let s1 = s0;
    while (Date.now() < end) {
      await sleep(Math.min(1000, end - Date.now()));
      alive();
      s1 = d.sample();
      ff.sample(s1.ffmpegTicks);
      rss = Math.max(rss, s1.rssBytes);
      ffRss = Math.max(ffRss, Number.isFinite(s1.ffmpegRssBytes) ? s1.ffmpegRssBytes : 0);
    }
    const t1 = Date.now();
    const elapsed = (t1 - t0) / 1000;
    const m1 = pipelineCounters(await d.metrics());
    const used1 = await usedMemory(redis);
    const prefixMem = await scanPrefix(redis, `${prefix}:*`, true);
    // Results published just before t1 may still be on their way into the streams.
    await sleep(500);
    await reader.stop();
    const inWindow = reader.frames.filter((f) => f.publishedAt >= t0 && f.publishedAt < t1);
    const n = ids.length;
    const tck = clockTicks();
    await d.stop();
    const frameKeysLeft = (await scanPrefix(redis, `${prefix}:frame:*`)).keys;
    return {
      detectFps: inWindow.length / elapsed,
      frames: inWindow.length,
      perCameraFps: spread(cameraRates(inWindow.map((f) => f.camera), ids, elapsed)),
      latencyMs: summarize(inWindow.map((f) => f.publishedAt - f.capturedAt)),
      framesIn: m1.framesIn - m0.framesIn,
      dropped: counterDelta(m0.dropped, m1.dropped),
      restarts: m1.restarts - m0.restarts,
      cpuPctPerCamera: {
        ffmpeg: cpuPercent(ff.total, tck, elapsed) / n,
        node: cpuPercent(s1.nodeTicks - s0.nodeTicks, tck, elapsed) / n,
        nodeMain: cpuPercent(s1.mainTicks - s0.mainTicks, tck, elapsed) / n,
      },
      rssMb: rss / 2 ** 20,
      ffmpegRssMb: ffRss / 2 ** 20,
      redisUsedMemoryDeltaMb: (used1 - used0) / 2 ** 20,
      prefixMemoryMb: prefixMem.bytes / 2 ** 20,
      frameKeysLeft,
      warnings: Object.fromEntries(d.warnings),
    };
  } finally {
    await reader.stop();
    await daemon?.stop();
    await purgePrefix(redis, prefix).catch(() => 0);
    redis.disconnect();
  }
}
