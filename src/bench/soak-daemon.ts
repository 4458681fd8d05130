/**
 * `vigil bench soak` on the whole daemon (the default, `--full`): the real daemon (every role, detector on) in a
 * process of its own on N live RTSP cameras for S seconds, sampled from outside every `--interval` seconds (one
 * line each), then the totals and the verdict after the warm-up (soak-report.ts). Runs on a random Redis prefix,
 * purged at the end after counting the frame keys the daemon left.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import Redis from 'ioredis';
import { loadConfig } from '../config/load';
import { Keys } from '../core/keys';
import type { Logger } from '../core/logger';
import { purgePrefix } from '../core/purge';
import { RtspTestServer } from '../testing/rtsp-server';
import { DaemonProcess } from './daemon-process';
import { machineInfo, staleBuildWarning } from './live';
import { prepareClip } from './live-media';
import { benchCameras, pipelineCounters, scanPrefix, usedMemory } from './live-pipeline';
import { updateSection } from './live-report';
import { counterDelta, cpuPercent, judgeSoak, TickAccount, type SoakPoint } from './live-stats';
import { clockTicks, loadAverage } from './proc';
import type { SoakValues } from './soak-options';
import { formatSoakLine, formatSoakMarkdown, formatSoakTotals, type DaemonSoakResult } from './soak-report';

/** BullMQ jobs of every queue under `bullPrefix` that have been active for longer than `olderThanMs`. */
export async function stuckJobs(redis: Redis, bullPrefix: string, olderThanMs: number, now = Date.now()): Promise<number> {
  let cursor = '0';
  let stuck = 0;
  do {
    const [next, lists] = await redis.scan(cursor, 'MATCH', `${bullPrefix}:*:active`, 'COUNT', 1000);
    cursor = next;
    for (const list of lists) {
      const queue = list.slice(bullPrefix.length + 1, -':active'.length);
      const ids = await redis.lrange(list, 0, -1);
      if (ids.length === 0) {
        continue;
      }
      const p = redis.pipeline();
      for (const id of ids) {
        p.hget(`${bullPrefix}:${queue}:${id}`, 'processedOn');
      }
      for (const [, v] of (await p.exec()) ?? []) {
        const at = Number(v);
        if (Number.isFinite(at) && at > 0 && now - at > olderThanMs) {
          stuck++;
        }
      }
    }
  } while (cursor !== '0');
  return stuck;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the daemon soak; returns the exit status (1 when a target is missed or the daemon died). */
export async function runDaemonSoak(values: SoakValues, args: string[], log: Logger, usage: string): Promise<number> {
  const n = Number(values.cameras);
  const fps = Number(values.fps);
  const seconds = Number(values.seconds);
  const warmupS = Number(values.warmup);
  const intervalS = Number(values.interval);
  const width = values.width === undefined ? undefined : Number(values.width);
  const height = values.height === undefined ? undefined : Number(values.height);
  const media = values.media ?? join(process.env.VIGIL_TEST_MEDIA ?? resolve('..', 'shared', 'media'), 'vtest.mp4');
  if (
    !(Number.isInteger(n) && n >= 1 && n <= 64) ||
    !(fps >= 0.1 && fps <= 60) ||
    !(seconds >= 10) ||
    !(warmupS >= 0) ||
    !(intervalS >= 1) ||
    (width !== undefined && !(Number.isInteger(width) && width % 2 === 0 && width >= 64)) ||
    (height !== undefined && (width === undefined || !(Number.isInteger(height) && height % 2 === 0 && height >= 64))) ||
    !existsSync(media)
  ) {
    process.stderr.write(`soak: need --cameras 1..64, --fps 0.1..60, --seconds >= 10, --interval >= 1, even --width/--height and an existing --media file\n${usage}\n`);
    return 2;
  }
  const stale = staleBuildWarning();
  if (stale) {
    process.stderr.write(`${stale}\n`);
  }
  const { config: base } = loadConfig(values.config);
  const redisUrl = values.redis ?? base.redis.url;
  const machine = machineInfo();
  const clip = prepareClip(media, width, height);
  const prefix = `vigil-soak-${randomBytes(4).toString('hex')}`;
  const keys = new Keys(prefix);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  let server: RtspTestServer | undefined;
  let daemon: DaemonProcess | undefined;
  const series: SoakPoint[] = [];
  let daemonExit = 'code 0';
  let frameKeysLeft = NaN;
  let prefixByKind: Record<string, number> = {};
  let elapsed = 0;
  const ff = new TickAccount();
  let node0 = NaN;
  let node1 = NaN;
  try {
    const paths = Array.from({ length: n }, (_, i) => `/cam${i + 1}`);
    server = await RtspTestServer.start({ file: clip.file, paths, startTimeoutMs: 30_000 });
    const urls = paths.map((p) => server!.url(p));
    daemon = await DaemonProcess.start({
      config: { redis: { url: redisUrl, prefix }, models: base.models, detect: base.detect, cameras: benchCameras(urls, fps, width, height) },
    });
    const d = daemon;
    const t0 = Date.now();
    const point = async (): Promise<SoakPoint> => {
      const m = pipelineCounters(await d.metrics());
      const s = d.sample();
      ff.sample(s.ffmpegTicks);
      node1 = s.nodeTicks;
      if (!Number.isFinite(node0)) {
        node0 = s.nodeTicks;
      }
      return {
        t: (Date.now() - t0) / 1000,
        rssBytes: s.rssBytes,
        usedMemoryBytes: await usedMemory(redis),
        prefixBytes: (await scanPrefix(redis, `${prefix}:*`, true)).bytes,
        framesIn: m.framesIn,
        detected: m.detected,
        dropped: m.dropped,
        restarts: m.restarts,
        stuckJobs: await stuckJobs(redis, keys.bullPrefix, 10_000),
        frameKeys: (await scanPrefix(redis, `${prefix}:frame:*`)).keys,
      };
    };
    series.push(await point());
    process.stdout.write(`soak: ${n} cameras × ${fps} fps for ${seconds} s, warm-up ${warmupS} s, prefix ${prefix}\n${formatSoakLine(series[0], undefined)}\n`);
    const end = t0 + seconds * 1000;
    let next = t0 + intervalS * 1000;
    while (Date.now() < end && d.running) {
      // CPU of FFmpeg processes is read every few seconds so that a restarted one loses little.
      await sleep(Math.max(0, Math.min(5000, Math.min(next, end) - Date.now())));
      if (!d.running) {
        break;
      }
      if (Date.now() >= Math.min(next, end)) {
        series.push(await point());
        process.stdout.write(`${formatSoakLine(series[series.length - 1], series[series.length - 2])}\n`);
        next += intervalS * 1000;
      } else {
        ff.sample(d.sample().ffmpegTicks);
      }
    }
    elapsed = (Date.now() - t0) / 1000;
    if (!d.running) {
      daemonExit = `exited during the run (${d.exit?.signal ?? `code ${d.exit?.code}`}): ${d.logTail(5)}`;
    } else {
      const stopped = await d.stop();
      daemonExit = stopped.killed ? 'did not stop within 15 s (SIGKILL)' : `stopped with ${stopped.signal ?? `code ${stopped.code}`}`;
    }
    frameKeysLeft = (await scanPrefix(redis, `${prefix}:frame:*`)).keys;
    prefixByKind = (await scanPrefix(redis, `${prefix}:*`, true)).byKind;
  } finally {
    await daemon?.stop();
    await server?.stop();
    clip.cleanup();
    await purgePrefix(redis, prefix).catch(() => 0);
    redis.disconnect();
  }
  machine.loadAfter = loadAverage();
  const first = series[0];
  const last = series[series.length - 1];
  const verdict = judgeSoak(series, warmupS);
  if (daemonExit.startsWith('exited')) {
    verdict.ok = false;
  }
  const result: DaemonSoakResult = {
    at: new Date().toISOString(),
    command: `vigil bench soak ${args.join(' ')}`.trim(),
    cameras: n,
    fps,
    stream: { width: clip.width, height: clip.height, fps: clip.fps, reencoded: clip.reencoded, source: basename(media) },
    seconds: elapsed,
    warmupS,
    intervalS,
    machine,
    series,
    verdict,
    totals: {
      framesIn: last.framesIn - first.framesIn,
      detected: last.detected - first.detected,
      dropped: counterDelta(first.dropped, last.dropped),
      restarts: last.restarts - first.restarts,
    },
    cpuPctPerCamera: { ffmpeg: cpuPercent(ff.total, clockTicks(), elapsed) / n, node: cpuPercent(node1 - node0, clockTicks(), elapsed) / n },
    frameKeysLeft,
    prefixByKind,
    daemonExit,
    warnings: Object.fromEntries(daemon?.warnings ?? []),
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    process.stdout.write(`${formatSoakTotals(result).join('\n')}\n`);
  }
  if (!values['no-write']) {
    const file = resolve(values.benchmarks ?? 'BENCHMARKS.md');
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    writeFileSync(file, updateSection(text, 'soak', 'Soak: whole daemon on live cameras (vigil bench soak)', formatSoakMarkdown(result)));
  }
  log.info({ ok: verdict.ok }, 'soak done');
  return verdict.ok ? 0 : 1;
}
