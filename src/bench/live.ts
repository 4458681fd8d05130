/**
 * `vigil bench live --cameras N --fps F [--width W --height H] [--seconds S] [--warmup S] [--runs R] [--json] [--no-write]`
 *
 * Live cameras at scale: starts its own GStreamer RTSP server on loopback with N mounts of a looped clip
 * (`$VIGIL_TEST_MEDIA/vtest.mp4` by default, re-encoded once to W x H when asked), then measures R times, each in a
 * fresh process: the ceiling (live-ceiling.ts: FFmpeg → newest frame per camera → one inference worker, no queue)
 * and the pipeline (live-pipeline.ts: the real daemon, every role, measured from outside). Prints the table (or
 * JSON) and writes the "Live cameras" section of BENCHMARKS.md.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { parseCommandArgs, UsageError } from '../core/cli-args';
import { loadConfig } from '../config/load';
import type { VigilConfig } from '../config/schema';
import type { Logger } from '../core/logger';
import type { WorkerInit } from '../detect/inference-worker';
import { RtspTestServer } from '../testing/rtsp-server';
import { runIsolated } from './isolate';
import type { LiveCeilingResult } from './live-ceiling';
import { prepareClip } from './live-media';
import { runLivePipeline } from './live-pipeline';
import { formatLiveMarkdown, updateSection, type LiveResult, type LiveRun, type MachineInfo } from './live-report';
import { loadAverage } from './proc';

export const LIVE_USAGE =
  'usage: vigil bench live --cameras N --fps F [--width W [--height H]] [--detect-width PX] [--seconds S] [--warmup S] [--runs R] ' +
  '[--media FILE] [--config FILE] [--json] [--no-write] [--benchmarks FILE]';

/** Parsed options of `vigil bench live`. */
export interface LiveOptions {
  cameras: number;
  fps: number;
  width?: number;
  height?: number;
  detectWidth?: number;
  seconds: number;
  warmupS: number;
  runs: number;
  media: string;
  config?: string;
  json: boolean;
  write: boolean;
  benchmarks: string;
}

/** Parses and checks the arguments (pure apart from the environment default of --media); a string is the problem. */
export function parseLiveArgs(args: string[], env: NodeJS.ProcessEnv = process.env): LiveOptions | string {
  let values;
  try {
    ({ values } = parseCommandArgs({
      command: 'vigil bench live',
      usage: LIVE_USAGE,
      options: {
        cameras: { type: 'string', default: '12' },
        fps: { type: 'string', default: '10' },
        width: { type: 'string' },
        height: { type: 'string' },
        'detect-width': { type: 'string' },
        seconds: { type: 'string', default: '30' },
        warmup: { type: 'string', default: '10' },
        runs: { type: 'string', default: '1' },
        media: { type: 'string' },
        config: { type: 'string' },
        json: { type: 'boolean', default: false },
        'no-write': { type: 'boolean', default: false },
        benchmarks: { type: 'string', default: 'BENCHMARKS.md' },
      },
    }, args));
  } catch (err) {
    return err instanceof UsageError ? err.message : (err as Error).message;
  }
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const o: LiveOptions = {
    cameras: Number(values.cameras),
    fps: Number(values.fps),
    width: num(values.width),
    height: num(values.height),
    detectWidth: num(values['detect-width']),
    seconds: Number(values.seconds),
    warmupS: Number(values.warmup),
    runs: Number(values.runs),
    media: values.media ?? join(env.VIGIL_TEST_MEDIA ?? join(process.cwd(), '..', 'shared', 'media'), 'vtest.mp4'),
    config: values.config,
    json: values.json,
    write: !values['no-write'],
    benchmarks: values.benchmarks,
  };
  const even = (v: number | undefined, lo: number, hi: number) => v === undefined || (Number.isInteger(v) && v % 2 === 0 && v >= lo && v <= hi);
  if (!(Number.isInteger(o.cameras) && o.cameras >= 1 && o.cameras <= 64)) {
    return '--cameras must be an integer 1..64';
  }
  if (!(o.fps >= 0.1 && o.fps <= 60)) {
    return '--fps must be a number 0.1..60';
  }
  if (!even(o.width, 64, 3840) || !even(o.height, 64, 2160)) {
    return '--width and --height must be even numbers of pixels (64..3840 x 64..2160)';
  }
  if (o.height !== undefined && o.width === undefined) {
    return '--height needs --width';
  }
  if (o.detectWidth !== undefined && !(Number.isInteger(o.detectWidth) && o.detectWidth >= 64 && o.detectWidth <= 3840)) {
    return '--detect-width must be an integer 64..3840';
  }
  if (!(o.seconds >= 2 && o.seconds <= 86_400) || !(o.warmupS >= 0 && o.warmupS <= 3600)) {
    return '--seconds must be 2..86400 and --warmup 0..3600';
  }
  if (!(Number.isInteger(o.runs) && o.runs >= 1 && o.runs <= 20)) {
    return '--runs must be an integer 1..20';
  }
  return o;
}

/** The detector's worker init, as the detect stage builds it from the config. */
export function detectorInit(config: VigilConfig): Omit<WorkerInit, 'threads'> {
  const d = config.models.detector;
  return {
    modelPath: isAbsolute(d.file) ? d.file : join(config.models.dir, d.file),
    family: d.family,
    inputSize: d.inputSize,
    device: d.device,
    post: { labels: d.labels, classes: d.classes, scoreThreshold: d.scoreThreshold, classThresholds: d.classThresholds, nmsIou: d.nmsIou, cluster: d.cluster },
  };
}

/** This machine, with its load average now. */
export function machineInfo(): MachineInfo {
  return { cores: availableParallelism(), cpu: cpus()[0]?.model.trim() ?? 'cpu', node: process.version, loadBefore: loadAverage() };
}

/** Runs the whole measurement (no printing, no file written): what the command and the integration test share. */
export async function measureLive(o: LiveOptions, log: Logger, command: string): Promise<LiveResult> {
  if (!existsSync(o.media)) {
    throw new Error(`bench live: ${o.media} not found (use --media FILE or set VIGIL_TEST_MEDIA)`);
  }
  const { config: base } = loadConfig(o.config);
  const init = detectorInit(base);
  if (!existsSync(init.modelPath)) {
    throw new Error(`bench live: model ${init.modelPath} not found (set VIGIL_MODELS_DIR or models.dir)`);
  }
  const machine = machineInfo();
  const clip = prepareClip(o.media, o.width, o.height);
  const detectWidth = o.detectWidth ?? o.width;
  const detectHeight = o.detectWidth === undefined ? o.height : undefined;
  const runs: LiveRun[] = [];
  let server: RtspTestServer | undefined;
  try {
    const paths = Array.from({ length: o.cameras }, (_, i) => `/cam${i + 1}`);
    server = await RtspTestServer.start({ file: clip.file, paths, startTimeoutMs: 30_000 });
    const urls = paths.map((p) => server!.url(p));
    for (let i = 0; i < o.runs; i++) {
      log.info({ run: i + 1, of: o.runs }, 'bench live: ceiling');
      const c = await runIsolated({
        phase: 'live-ceiling',
        options: { urls, fps: o.fps, streamFps: clip.fps, init, threads: machine.cores, seconds: o.seconds, warmupS: o.warmupS },
      });
      if (!('ceiling' in c)) {
        throw new Error('bench live: the ceiling process answered no result');
      }
      const ceiling: LiveCeilingResult = c.ceiling;
      log.info({ run: i + 1, fps: +ceiling.detectFps.toFixed(1) }, 'bench live: pipeline');
      const pipeline = await runLivePipeline({ base, urls, fps: o.fps, detectWidth, detectHeight, seconds: o.seconds, warmupS: o.warmupS, log });
      runs.push({ ceiling, pipeline, ratio: pipeline.detectFps / ceiling.detectFps });
      log.info({ run: i + 1, ceiling: +ceiling.detectFps.toFixed(1), pipeline: +pipeline.detectFps.toFixed(1) }, 'bench live: run done');
    }
  } finally {
    await server?.stop();
    clip.cleanup();
  }
  machine.loadAfter = loadAverage();
  return {
    at: new Date().toISOString(),
    command,
    cameras: o.cameras,
    fps: o.fps,
    stream: { width: clip.width, height: clip.height, fps: clip.fps, reencoded: clip.reencoded, source: basename(o.media) },
    detectSize:
      detectWidth === undefined
        ? `detect: { fps: ${o.fps} } (default width)`
        : `detect: { fps: ${o.fps}, width: ${detectWidth}${detectHeight !== undefined ? `, height: ${detectHeight}` : ''} }`,
    model: `${base.models.detector.file} (${runs[0]?.ceiling.provider ?? base.models.detector.device})`,
    seconds: o.seconds,
    warmupS: o.warmupS,
    machine,
    runs,
  };
}

/**
 * When this process runs the build (dist/) and a source file is newer than it, the processes the bench starts run
 * that stale build too: say so (undefined when running from the sources or up to date).
 */
export function staleBuildWarning(): string | undefined {
  if (!__filename.endsWith('.js')) {
    return undefined;
  }
  const root = join(__dirname, '..', '..');
  const built = join(root, 'dist', 'main.js');
  if (!existsSync(built) || !existsSync(join(root, 'src'))) {
    return undefined;
  }
  const builtAt = statSync(built).mtimeMs;
  const newer = (dir: string): string | undefined => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      const hit = e.isDirectory() ? newer(p) : e.name.endsWith('.ts') && statSync(p).mtimeMs > builtAt ? p : undefined;
      if (hit) {
        return hit;
      }
    }
    return undefined;
  };
  const file = newer(join(root, 'src'));
  return file ? `bench live: ${file} is newer than dist/ (run \`npm run build\`, or set VIGIL_FROM_SOURCE=1 to measure the sources)` : undefined;
}

/** Command entry point; returns the exit status. */
export async function runLive(args: string[], log: Logger): Promise<number> {
  const o = parseLiveArgs(args);
  if (typeof o === 'string') {
    process.stderr.write(`${o}\n${LIVE_USAGE}\n`);
    return 2;
  }
  const stale = staleBuildWarning();
  if (stale) {
    process.stderr.write(`${stale}\n`);
  }
  const result = await measureLive(o, log, `vigil bench live ${args.join(' ')}`.trim());
  const md = formatLiveMarkdown(result);
  process.stdout.write(o.json ? `${JSON.stringify(result, null, 2)}\n` : `${md}\n`);
  if (o.write) {
    const file = resolve(o.benchmarks);
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    writeFileSync(file, updateSection(text, 'live', 'Live cameras (vigil bench live)', md));
  }
  return result.runs.every((r) => r.ceiling.frames > 0 && r.pipeline.frames > 0) ? 0 : 1;
}
