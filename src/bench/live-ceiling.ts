/**
 * The ceiling of `vigil bench live`: what one machine can detect from N live cameras with nothing in between. One
 * FFmpeg per camera reads the RTSP URL (the ingest's input options) and decodes straight to the model's input size,
 * thinned with `fps=F` when F is below the stream's rate; each camera keeps only its newest frame; one inference
 * worker (all cores as ONNX Runtime intra-op threads, batch 1) runs the model on the newest frame of the camera that
 * has waited longest since it was last served, round robin (newest-frames.ts). No queue, no Redis. Runs in a process
 * of its own (isolate.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { framePool } from '../core/frame-pool';
import { Detector } from '../detect/detector';
import type { WorkerInit } from '../detect/inference-worker';
import { buildFfmpegArgs, formatFps } from '../ingest/ffmpeg-args';
import { FrameCutter } from '../ingest/frame-cutter';
import { cameraRates, cpuPercent, spread, TickAccount, type Spread } from './live-stats';
import { NewestFrames } from './newest-frames';
import { clockTicks, procStat, rssBytes } from './proc';
import { summarize, type Percentiles } from './stats';

/** Options of one ceiling run. */
export interface LiveCeilingOptions {
  urls: string[];
  /** Frames per second asked of each camera. */
  fps: number;
  /** The rate the cameras send (the `fps` filter thins only below it). */
  streamFps: number;
  /** The detector's model, as the detect stage loads it (threads are set here). */
  init: Omit<WorkerInit, 'threads'>;
  /** ONNX Runtime intra-op threads of the one worker. */
  threads: number;
  seconds: number;
  warmupS: number;
}

/** What the ceiling measured. */
export interface LiveCeilingResult {
  /** Frames detected per second over the window. */
  detectFps: number;
  frames: number;
  /** Detected fps of each camera (min / mean / max). */
  perCameraFps: Spread;
  /** Capture (the frame's last byte out of FFmpeg) → detections back from the worker. */
  latencyMs: Percentiles;
  /** Frames FFmpeg delivered in the window. */
  framesIn: number;
  /** Frames replaced by a newer one of their camera before the detector took them. */
  superseded: number;
  /** Mean inference time (worker) per frame. */
  inferMs: number;
  /** Frame size fed to the model (its input size). */
  input: string;
  provider: string;
  /** % of one core per camera. */
  cpuPctPerCamera: { ffmpeg: number; node: number };
  /** Peak RSS of this process, MB. */
  rssMb: number;
  /** FFmpeg processes that ended during the run and were restarted. */
  ffmpegRestarts: number;
}

/** The FFmpeg command line of one ceiling camera (pure). */
export function ceilingFfmpegArgs(url: string, fps: number, streamFps: number, width: number, height: number): string[] {
  const base = buildFfmpegArgs({ url, fps, width });
  const filters = [...(fps < streamFps - 1e-6 ? [`fps=${formatFps(fps)}`] : []), `scale=${width}:${height}`];
  return ['-hide_banner', '-nostdin', '-loglevel', 'error', ...base.inputOptions, '-i', base.input, '-an', '-sn', '-dn', '-vf', filters.join(','), '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the ceiling once. */
export async function runLiveCeiling(o: LiveCeilingOptions): Promise<LiveCeilingResult> {
  const detector = await Detector.create({ init: o.init, workers: 1, threadsPerWorker: o.threads, batchSize: 1 });
  const width = detector.info.inputWidth;
  const height = detector.info.inputHeight;
  const frameBytes = width * height * 3;
  const n = o.urls.length;
  const pool = framePool(frameBytes, 2 * n + 4);
  const queue = new NewestFrames<Buffer>(n);
  const procs: Array<ChildProcess | undefined> = new Array<ChildProcess | undefined>(n).fill(undefined);
  const firstFrame: boolean[] = new Array<boolean>(n).fill(false);
  let finished = false;
  let measuring = false;
  let busy = false;
  let framesIn = 0;
  let inferMs = 0;
  let restarts = 0;
  const latencies: number[] = [];
  const detectedCameras: string[] = [];
  let failure: Error | undefined;

  const pump = (): void => {
    if (busy || finished) {
      return;
    }
    const w = queue.take();
    if (!w) {
      return;
    }
    busy = true;
    detector.detect({ pixels: w.frame, width, height }).then(
      (r) => {
        busy = false;
        pool.release(w.frame);
        if (measuring && !finished) {
          latencies.push(Date.now() - w.capturedAt);
          detectedCameras.push(String(w.camera));
          inferMs += r.timings.inferMs;
        }
        pump();
      },
      (err: Error) => {
        busy = false;
        pool.release(w.frame);
        failure ??= err;
      },
    );
  };

  const startCamera = (i: number): void => {
    const ff = spawn('ffmpeg', ceilingFfmpegArgs(o.urls[i], o.fps, o.streamFps, width, height), { stdio: ['ignore', 'pipe', 'ignore'] });
    procs[i] = ff;
    const cutter = new FrameCutter(frameBytes, (f) => {
      if (finished) {
        pool.release(f);
        return;
      }
      firstFrame[i] = true;
      if (measuring) {
        framesIn++;
      }
      pool.release(queue.offer(i, f, Date.now()));
      pump();
    }, () => pool.acquire());
    ff.stdout.on('data', (chunk: Buffer) => cutter.push(chunk));
    ff.on('error', (err) => {
      failure ??= err;
    });
    ff.on('exit', () => {
      if (!finished) {
        restarts++;
        setTimeout(() => !finished && startCamera(i), 500);
      }
    });
  };

  const cpu = { ffmpeg: new TickAccount(), node: new TickAccount() };
  const sampleCpu = (): void => {
    const ff = new Map<number, number>();
    for (const p of procs) {
      const s = p?.pid !== undefined ? procStat(p.pid) : undefined;
      if (s) {
        ff.set(s.pid, s.ticks);
      }
    }
    cpu.ffmpeg.sample(ff);
    const self = procStat(process.pid);
    cpu.node.sample(new Map(self ? [[self.pid, self.ticks]] : []));
  };

  let rss = 0;
  try {
    for (let i = 0; i < n; i++) {
      startCamera(i);
    }
    // Every camera connected (or 30 s), then the warm-up.
    const connectBy = Date.now() + 30_000;
    while (!firstFrame.every(Boolean) && Date.now() < connectBy && !failure) {
      await sleep(100);
    }
    await sleep(o.warmupS * 1000);
    if (failure) {
      throw failure;
    }
    measuring = true;
    const superseded0 = queue.superseded;
    sampleCpu();
    const t0 = Date.now();
    const end = t0 + o.seconds * 1000;
    while (Date.now() < end) {
      await sleep(Math.min(1000, end - Date.now()));
      sampleCpu();
      rss = Math.max(rss, rssBytes(process.pid) ?? 0);
    }
    const elapsed = (Date.now() - t0) / 1000;
    measuring = false;
    if (failure) {
      throw failure;
    }
    const frames = latencies.length;
    const cameras = Array.from({ length: n }, (_, i) => String(i));
    return {
      detectFps: frames / elapsed,
      frames,
      perCameraFps: spread(cameraRates(detectedCameras, cameras, elapsed)),
      latencyMs: summarize(latencies),
      framesIn,
      superseded: queue.superseded - superseded0,
      inferMs: frames > 0 ? inferMs / frames : NaN,
      input: `${width}x${height}`,
      provider: detector.info.provider,
      cpuPctPerCamera: { ffmpeg: cpuPercent(cpu.ffmpeg.total, clockTicks(), elapsed) / n, node: cpuPercent(cpu.node.total, clockTicks(), elapsed) / n },
      rssMb: rss / 2 ** 20,
      ffmpegRestarts: restarts,
    };
  } finally {
    finished = true;
    await Promise.all(
      procs.map(async (p) => {
        if (p && p.exitCode === null && p.signalCode === null) {
          const gone = new Promise<void>((r) => p.once('exit', () => r()));
          p.kill('SIGKILL');
          await gone;
        }
      }),
    );
    for (const f of queue.drain()) {
      pool.release(f);
    }
    await detector.close();
  }
}
