/**
 * `vigil bench [--cameras K] [--seconds S] [--source rtsp|file] [--json] [--model M] [--config FILE] [--no-write]`
 * `vigil bench live ...` (src/bench/live.ts) and `vigil bench soak ...` (src/bench/soak.ts).
 *
 * Runs: the bare loop (one FFmpeg per camera decodes the file at full speed → model, no queue) as the ceiling; the
 * real pipeline (ingest + Redis frame queue + BullMQ + detect on a random Redis prefix) on K cameras reading the same
 * file at full speed (`realtime: false`: every frame, the ingest pauses FFmpeg while the queue is full, exactly like
 * the bare loop pauses its pipe), which gives the throughput ratio; the pipeline on K real-time cameras offered 1.5×
 * the ceiling (overload: drops and their cost); and at half the ceiling (latency). With `--source rtsp` the cameras
 * are live RTSP streams, which cannot be paused: the ratio then comes from the overload run. Prints a table (or
 * JSON) and writes BENCHMARKS.md's detection section.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/load';
import { commandArgsOrUsage } from '../core/cli-args';
import type { VigilConfig } from '../config/schema';
import type { Logger } from '../core/logger';
import { planThreads } from '../detect/threads';
import { buildModels } from '../models/build';
import { runIsolated } from './isolate';
import { formatLoad, loadAverage } from './proc';
import type { PipelineOptions } from './pipeline';
import { formatMarkdown, updateBenchmarks, type BenchResult, type PipelineRun } from './stats';

const USAGE =
  'usage: vigil bench [--cameras K] [--seconds S] [--source rtsp|file] [--model yolox|fastestdet|detectnet_v2-960|detectnet_v2-640] ' +
  '[--width PX] [--media DIR] [--config FILE] [--json] [--no-write] [--benchmarks FILE]\n' +
  '  The real pipeline on K cameras against a bare FFmpeg → model loop on the same file; writes BENCHMARKS.md.\n' +
  '       vigil bench live|soak|latency|faults|clips --help: the other benchmarks';

/** The bench subcommands. */
const SUBCOMMANDS = ['live', 'soak', 'latency', 'faults', 'clips'] as const;

const OPTIONS = {
  cameras: { type: 'string', default: '2' },
  width: { type: 'string', default: '640' },
  seconds: { type: 'string', default: '20' },
  source: { type: 'string', default: 'file' },
  model: { type: 'string', default: 'yolox' },
  media: { type: 'string' },
  config: { type: 'string' },
  json: { type: 'boolean', default: false },
  'no-write': { type: 'boolean', default: false },
  benchmarks: { type: 'string', default: 'BENCHMARKS.md' },
} as const;

/** The usage text of `vigil bench` or of one of its subcommands (for `--help`). */
export function benchUsage(sub?: string): string {
  /* eslint-disable @typescript-eslint/no-require-imports -- each benchmark is loaded only when asked for (usage texts too) */
  switch (sub) {
    case 'live':
      return (require('./live') as typeof import('./live')).LIVE_USAGE;
    case 'soak':
      return (require('./soak-options') as typeof import('./soak-options')).SOAK_USAGE;
    case 'latency':
      return (require('./alert-latency') as typeof import('./alert-latency')).LATENCY_USAGE;
    case 'faults':
      return (require('./faults') as typeof import('./faults')).FAULTS_USAGE;
    case 'clips':
      return (require('./clips') as typeof import('./clips')).CLIPS_USAGE;
    default:
      return USAGE;
  }
  /* eslint-enable @typescript-eslint/no-require-imports */
}

/** The models the bench knows: family, file, frame width fed to it. */
const BENCH_MODELS: Record<string, { family: 'yolox' | 'fastestdet' | 'detectnet_v2'; file: string; built?: boolean }> = {
  yolox: { family: 'yolox', file: 'yolox_nano.onnx' },
  fastestdet: { family: 'fastestdet', file: 'fastestdet.onnx' },
  'detectnet_v2-960': { family: 'detectnet_v2', file: 'detectnet_resnet18_960x544.onnx', built: true },
  'detectnet_v2-640': { family: 'detectnet_v2', file: 'detectnet_resnet18_640x384.onnx', built: true },
};

/** A video file's frame rate from ffprobe (undefined when it cannot be read). */
export function probeFps(file: string): number | undefined {
  const r = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=r_frame_rate', '-of', 'csv=p=0', file], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  const m = /^(\d+)(?:\/(\d+))?/.exec((r.stdout ?? '').trim());
  if (!m) {
    return undefined;
  }
  const fps = Number(m[1]) / Number(m[2] ?? 1);
  return fps > 0 && fps <= 240 ? fps : undefined;
}

/** Command entry point. */
export async function run(args: string[], log: Logger): Promise<number> {
  if (args[0] === 'latency') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- each benchmark is loaded only when asked for
    const { runAlertLatency } = require('./alert-latency') as typeof import('./alert-latency');
    return await runAlertLatency(args.slice(1), log);
  }
  if (args[0] === '--phase-child') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- each benchmark is loaded only when asked for
    const { phaseChild } = require('./isolate') as typeof import('./isolate');
    return await phaseChild(log);
  }
  if (args[0] === 'live') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- each benchmark is loaded only when asked for
    const { runLive } = require('./live') as typeof import('./live');
    return await runLive(args.slice(1), log);
  }
  if (args[0] === 'faults') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- each benchmark is loaded only when asked for
    const { runFaults } = require('./faults') as typeof import('./faults');
    return await runFaults(args.slice(1), log);
  }
  if (args[0] === 'clips') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- each benchmark is loaded only when asked for
    const { runClips } = require('./clips') as typeof import('./clips');
    return await runClips(args.slice(1), log);
  }
  if (args[0] === 'soak') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- each benchmark is loaded only when asked for
    const { runSoak } = require('./soak') as typeof import('./soak');
    return await runSoak(args.slice(1), log);
  }
  const parsed = commandArgsOrUsage({ command: 'vigil bench', usage: USAGE, options: OPTIONS, subcommands: SUBCOMMANDS }, args);
  if (!parsed) {
    return 2;
  }
  const { values } = parsed;
  const cameras = Number(values.cameras);
  const seconds = Number(values.seconds);
  const spec = BENCH_MODELS[values.model];
  if (!(cameras >= 1 && cameras <= 64) || !(seconds >= 2) || !(Number(values.width) >= 64 && Number(values.width) <= 3840) || !spec || !['rtsp', 'file'].includes(values.source)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const { config: base } = loadConfig(values.config);
  const media = values.media ?? join(base.models.dir, '..', 'media');
  const video = existsSync(join(media, 'vtest.mp4')) ? join(media, 'vtest.mp4') : join(process.cwd(), '..', 'shared', 'media', 'vtest.mp4');
  if (!existsSync(video)) {
    process.stderr.write(`vigil bench: vtest.mp4 not found (use --media DIR)\n`);
    return 2;
  }
  let modelsDir = base.models.dir;
  if (spec.built && !existsSync(join(modelsDir, spec.file))) {
    modelsDir = mkdtempSync(join(tmpdir(), 'vigil-bench-models-'));
    await buildModels(modelsDir, log, { only: [spec.file] });
  }
  const config: VigilConfig = { ...base, models: { ...base.models, dir: modelsDir, detector: { ...base.models.detector, family: spec.family, file: spec.file } } };
  const cores = availableParallelism();
  const plan = planThreads(cores, config.detect.workers, config.detect.threadsPerWorker);
  // Frames keep vtest.mp4's 4:3 aspect; `--width` is the camera's detect.width (640 by default; 416 = YOLOX's input).
  const width = Number(values.width);
  const height = Math.round((width * 3) / 4 / 2) * 2;
  const notes: string[] = [];

  const load0 = loadAverage();
  // 1. The ceiling. Every measurement runs in a process of its own (see isolate.ts).
  const ceiling = await runIsolated({
    phase: 'bare',
    init: { modelPath: join(modelsDir, spec.file), family: spec.family, device: config.models.detector.device, post: { scoreThreshold: 0.3, classThresholds: {}, nmsIou: 0.45 } },
    detect: config.detect,
    video,
    width,
    height,
    seconds,
    // The same decoders as the pipeline: one FFmpeg per camera.
    decoders: cameras,
  });
  if (!('bare' in ceiling)) {
    throw new Error('bench: the bare loop process answered no ceiling');
  }
  const { bare, provider, batch } = ceiling;
  log.info({ fps: bare.fps }, 'bench: bare loop done');

  // 2. Sources.
  let urls: string[];
  let server: { stop(): Promise<void>; url(p?: string): string } | undefined;
  if (values.source === 'rtsp') {
    const { RtspTestServer } = await import('../testing/rtsp-server');
    const paths = Array.from({ length: cameras }, (_, i) => `/cam${i + 1}`);
    server = await RtspTestServer.start({ file: video, paths });
    urls = paths.map((p) => server!.url(p));
  } else {
    urls = Array.from({ length: cameras }, () => video);
  }
  const runs: PipelineRun[] = [];
  const pipeline = async (o: Omit<PipelineOptions, 'log'>): Promise<PipelineRun> => {
    const r = await runIsolated({ phase: 'pipeline', options: o });
    if (!('run' in r)) {
      throw new Error('bench: the pipeline process answered no run');
    }
    return r.run;
  };
  try {
    if (values.source === 'file') {
      // Every frame of the file, as fast as the pipeline takes them: the fps filter at the file's own rate passes
      // frames through unchanged (what the bare loop decodes). As many frames in flight as the bare loop keeps.
      const nativeFps = probeFps(video) ?? 10;
      const inFlight = Math.max(2, Math.ceil((plan.workers * batch + 1) / cameras));
      runs.push(
        await pipeline({ label: 'files at full speed (every frame)', base: config, urls, fps: nativeFps, realtime: false, maxInFlight: inFlight, width, seconds, warmupS: 4 }),
      );
      runs[0].offeredFps = NaN;
    }
    // Real-time cameras asking for more than the ceiling: frames dropped for backpressure still cost decoding and
    // cutting. vtest.mp4 plays at 10 fps; the ingest fps filter repeats frames above that, which still costs full work.
    const satFps = Math.min(60, Math.max(1, Math.ceil((bare.fps * 1.5) / cameras)));
    runs.push(await pipeline({ label: 'real-time cameras, overloaded (1.5x ceiling)', base: config, urls, fps: satFps, width, seconds, warmupS: 4 }));
    const halfFps = Math.max(0.5, Math.round(((bare.fps * 0.5) / cameras) * 10) / 10);
    runs.push(await pipeline({ label: 'real-time cameras, half load', base: config, urls, fps: halfFps, width, seconds, warmupS: 4 }));
  } finally {
    await server?.stop();
  }
  const ratio = runs[0].detectFps / bare.fps;
  if (ratio < 0.9) {
    notes.push(`Pipeline throughput is ${(ratio * 100).toFixed(0)} % of the bare loop: below the 90 % target.`);
  }
  notes.push(`Execution provider: ${provider}. Frames: vtest.mp4 scaled to ${width}x${height} rgb24. Each measurement runs in a fresh process.`);
  notes.push('CPU ms/frame outside workers = CPU time of the Node main thread (ingest frame cutting, Redis, BullMQ, JSON; from /proc) per detected frame; preprocessing, inference and decoding run in the worker threads, FFmpeg decoding in child processes, neither counted.');
  // What else ran shows in the load average; absolute frames/s move with it, the ratio to the bare loop measured
  // in the same run is the comparable figure.
  notes.push(
    `Machine: ${cores} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}; load average ${formatLoad(load0)} before, ${formatLoad(loadAverage())} after. ` +
      'Absolute frames/s move with the machine and its load; the ratio to the bare loop, measured in the same run, is the comparable figure.',
  );
  const result: BenchResult = {
    at: new Date().toISOString(),
    model: `${values.model} (${spec.file})`,
    cores,
    source: values.source,
    seconds,
    workers: `${plan.workers} worker(s) × ${plan.threadsPerWorker} thread(s), batch ≤ ${config.detect.batchSize}`,
    ceilingFps: bare.fps,
    ceilingInferMs: bare.inferMs,
    runs,
    ratio,
    notes,
  };
  const command = `vigil bench ${args.join(' ')}`.trim();
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    process.stdout.write(`${formatMarkdown(result, command)}\n`);
  }
  if (!values['no-write']) {
    const file = values.benchmarks;
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    writeFileSync(file, updateBenchmarks(text, formatMarkdown(result, command)));
  }
  return 0;
}
