import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commandArgsOrUsage } from '../core/cli-args';
import { randomBytes } from 'node:crypto';
import { Worker } from 'bullmq';
import Redis from 'ioredis';
import { parseConfig } from '../config/load';
import { Context } from '../config/context';
import type { Logger } from '../core/logger';
import type { FrameJob } from '../core/types';
import { startIngest } from '../ingest';
import { RtspTestServer } from '../testing/rtsp-server';
import { purgePrefix } from '../core/purge';
import { SOAK_OPTIONS, SOAK_USAGE, type SoakValues } from './soak-options';

/**
 * `vigil bench soak`: N cameras for S seconds from a local GStreamer RTSP server serving vtest.mp4 (looped).
 *
 * Default (`--full`): the whole daemon, every role, detector on, in a process of its own (soak-daemon.ts): one line a
 * minute of RSS, Redis used_memory, frames in, detected, dropped by reason, restarts, stuck jobs and frame keys, then
 * the totals and, after the warm-up, the growth of RSS and used_memory (target ≤ 5 %, 0 restarts, 0 stuck jobs);
 * writes the "Soak: whole daemon" section of BENCHMARKS.md.
 *
 * `--ingest-only` (the first soak): ingest and the frame queue only (detect NOT running): a tiny consumer completes
 * jobs and deletes frames, so backpressure drops are real if it falls behind. Reports frames in and dropped, Redis
 * `used_memory` and the daemon's RSS at start and end, and ingest CPU per camera (its ffmpeg plus a share of this
 * process), then writes the "Ingest soak" section of BENCHMARKS.md.
 */

interface Sample {
  t: number;
  framesIn: number;
  dropped: number;
  usedMemory: number;
  rss: number;
}

const CLK_TCK = 100;

function procTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

const mib = (b: number): string => (b / 1048576).toFixed(1);

/** Command entry point; returns the exit status. */
export async function runSoak(args: string[], log: Logger): Promise<number> {
  const parsed = commandArgsOrUsage({ command: 'vigil bench soak', usage: SOAK_USAGE, options: SOAK_OPTIONS }, args);
  if (!parsed) {
    return 2;
  }
  const values: SoakValues = parsed.values;
  if (values.full && values['ingest-only']) {
    process.stderr.write(`--full and --ingest-only exclude each other\n${SOAK_USAGE}\n`);
    return 2;
  }
  if (values['ingest-only']) {
    return await runIngestSoak(values, args, log);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the whole-daemon soak is loaded only when asked for
  const { runDaemonSoak } = require('./soak-daemon') as typeof import('./soak-daemon');
  return await runDaemonSoak(values, args, log, SOAK_USAGE);
}

/** The old soak (`--ingest-only`): ingest and the frame queue with a stand-in consumer, in this process. */
async function runIngestSoak(values: SoakValues, args: string[], log: Logger): Promise<number> {
  const n = Number(values.cameras);
  const seconds = Number(values.seconds);
  const media = values.media ?? path.join(process.env.VIGIL_TEST_MEDIA ?? path.resolve('..', 'shared', 'media'), 'vtest.mp4');
  const redisUrl = values.redis ?? process.env.VIGIL_REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (!(n >= 1) || !(seconds >= 5) || !existsSync(media)) {
    log.error({ cameras: n, seconds, media }, 'soak: need --cameras >= 1, --seconds >= 5 and an existing --media file');
    return 2;
  }
  const prefix = `vigil-soak-${randomBytes(3).toString('hex')}`;
  const server = await RtspTestServer.start({ file: media, paths: Array.from({ length: n }, (_, i) => `/cam${i}`) });
  const cameras = Array.from({ length: n }, (_, i) => ({
    id: `cam${i}`,
    url: server.url(`/cam${i}`),
    detect: { fps: Number(values.fps), width: Number(values.width ?? 640) },
    maxInFlight: Number(values['max-in-flight']),
  }));
  const config = parseConfig(JSON.stringify({ redis: { url: redisUrl, prefix }, cameras, log: { level: 'warn' } }), { VIGIL_NO_DEMO: '1' });
  const ctx = new Context(config, log.child({ bench: 'soak' }), new Set(['ingest']), { defaultMetrics: false });
  const admin = new Redis(redisUrl);
  const workerConn = new Redis(redisUrl, { maxRetriesPerRequest: null });
  let consumed = 0;
  const worker = new Worker<FrameJob>(
    ctx.keys.queues.frames,
    async (job) => {
      consumed++;
      await admin.del(job.data.key);
    },
    { connection: workerConn, prefix: ctx.keys.bullPrefix, concurrency: 4 },
  );
  const ingest = await startIngest(ctx);
  const metricTotal = async (name: string): Promise<number> =>
    ((await ctx.metrics.getSingleMetric(name)?.get())?.values ?? []).reduce((s, v) => s + v.value, 0);
  const sample = async (t: number): Promise<Sample> => ({
    t,
    framesIn: await metricTotal('vigil_ingest_frames_total'),
    dropped: await metricTotal('vigil_frames_dropped_total'),
    usedMemory: await usedMemory(admin),
    rss: process.memoryUsage().rss,
  });
  // CPU: ticks of every ffmpeg run (pids change on restarts) plus this process.
  const lastTicks = new Map<number, number>();
  let ffmpegTicks = 0;
  const readFfmpeg = (): void => {
    for (const sup of ingest.supervisors().values()) {
      const pid = sup.pid;
      const t = pid !== undefined ? procTicks(pid) : undefined;
      if (pid !== undefined && t !== undefined) {
        ffmpegTicks += t - (lastTicks.get(pid) ?? t);
        lastTicks.set(pid, t);
      }
    }
  };
  // Warm-up: let every camera connect before measuring.
  const warmDeadline = Date.now() + 30_000;
  while (Date.now() < warmDeadline && [...ingest.supervisors().values()].some((s) => s.state !== 'streaming')) {
    await new Promise((r) => setTimeout(r, 250));
  }
  readFfmpeg();
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  const samples: Sample[] = [await sample(0)];
  const start = samples[0];
  log.info({ cameras: n, seconds, prefix }, 'soak: measuring');
  while (Date.now() - t0 < seconds * 1000) {
    await new Promise((r) => setTimeout(r, Math.min(10_000, seconds * 1000 - (Date.now() - t0) + 1)));
    readFfmpeg();
    samples.push(await sample(Math.round((Date.now() - t0) / 1000)));
    const s = samples[samples.length - 1];
    log.info({ t: s.t, framesIn: s.framesIn - start.framesIn, dropped: s.dropped - start.dropped, usedMemoryMiB: mib(s.usedMemory), rssMiB: mib(s.rss) }, 'soak');
  }
  const elapsed = (Date.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const end = samples[samples.length - 1];
  const restarts = [...ingest.supervisors().values()].reduce((s, x) => s + x.spawns - 1, 0);
  await ingest.close();
  await worker.close();
  workerConn.disconnect();
  await server.stop();
  await purgePrefix(admin, prefix);
  admin.disconnect();
  await ctx.closeConnections();

  const framesIn = end.framesIn - start.framesIn;
  const dropped = end.dropped - start.dropped;
  const nodeCpuPct = ((cpu.user + cpu.system) / 1e6 / elapsed) * 100;
  const ffmpegCpuPct = (ffmpegTicks / CLK_TCK / elapsed) * 100;
  const result: IngestSoakResult = {
    cameras: n,
    seconds: Math.round(elapsed),
    fps: Number(values.fps),
    width: Number(values.width ?? 640),
    framesIn,
    framesPerCameraPerSecond: +(framesIn / n / elapsed).toFixed(2),
    consumed,
    dropped,
    restarts,
    redisUsedMemoryMiB: { start: +mib(start.usedMemory), end: +mib(end.usedMemory), max: +mib(Math.max(...samples.map((s) => s.usedMemory))) },
    rssMiB: { start: +mib(start.rss), end: +mib(end.rss), max: +mib(Math.max(...samples.map((s) => s.rss))) },
    cpuPercentPerCamera: { ffmpeg: +(ffmpegCpuPct / n).toFixed(1), node: +(nodeCpuPct / n).toFixed(1), total: +((ffmpegCpuPct + nodeCpuPct) / n).toFixed(1) },
    machine: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${mib(os.totalmem())} MiB RAM, node ${process.version}`,
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  }
  if (!values['no-write']) {
    writeSection(values.benchmarks ?? 'BENCHMARKS.md', section(result, args));
  }
  return 0;
}

interface StartEndMax {
  start: number;
  end: number;
  max: number;
}

/** What `--ingest-only` measured (printed as JSON and written to BENCHMARKS.md). */
interface IngestSoakResult {
  cameras: number;
  seconds: number;
  fps: number;
  width: number;
  framesIn: number;
  framesPerCameraPerSecond: number;
  consumed: number;
  dropped: number;
  restarts: number;
  redisUsedMemoryMiB: StartEndMax;
  rssMiB: StartEndMax;
  cpuPercentPerCamera: { ffmpeg: number; node: number; total: number };
  machine: string;
}

function section(r: IngestSoakResult, args: string[]): string {
  return `## Ingest soak

Command: \`npx vigil bench soak ${args.join(' ')}\` (ingest + frame queue only, detect not running; a BullMQ consumer
with concurrency 4 completes each job and deletes its frame). Source: \`scripts/rtsp_server.py\` serving vtest.mp4
(768x576 H.264, 10 fps) on ${r.cameras} RTSP paths, looped. Machine: ${r.machine}, shared with other work.
Measured ${new Date().toISOString().slice(0, 10)}.

| measure | value |
|---|---|
| cameras x duration | ${r.cameras} x ${r.seconds} s at ${r.fps} fps, ${r.width} px wide |
| frames in | ${r.framesIn} (${r.framesPerCameraPerSecond} per camera per second) |
| frames consumed / dropped | ${r.consumed} / ${r.dropped} |
| ffmpeg restarts | ${r.restarts} |
| Redis used_memory start → end (max) | ${r.redisUsedMemoryMiB.start} → ${r.redisUsedMemoryMiB.end} MiB (${r.redisUsedMemoryMiB.max}) |
| daemon RSS start → end (max) | ${r.rssMiB.start} → ${r.rssMiB.end} MiB (${r.rssMiB.max}) |
| ingest CPU per camera | ${r.cpuPercentPerCamera.total} % of one core (ffmpeg ${r.cpuPercentPerCamera.ffmpeg} %, node ${r.cpuPercentPerCamera.node} %) |
`;
}

function writeSection(file: string, text: string): void {
  let doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const re = /## Ingest soak\n[\s\S]*?(?=\n## |$)/;
  if (re.test(doc)) {
    doc = doc.replace(re, text.trimEnd() + '\n');
  } else {
    doc = `${doc.trimEnd()}\n\n${text}`;
  }
  writeFileSync(file, doc);
}
