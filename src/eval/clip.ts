/**
 * The detection pass of `vigil eval`: decodes a recorded clip with the camera's own FFmpeg arguments (the ingest's
 * fps filter and scaling, read at full speed, nothing dropped: the decoder waits while a frame is detected) and runs
 * the configured detector (onnxruntime-node, the detect stage's settings) on every frame, once, at the lowest score
 * threshold any later setting needs. Times each stage.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { VigilConfig } from '../config/schema';
import { Context } from '../config/context';
import type { Logger } from '../core/logger';
import type { Detection, FaceObservation } from '../core/types';
import type { FaceStage } from '../faces';
import { createDetector } from '../detect';
import { buildFfmpegArgs, scaledHeight, toArgv } from '../ingest/ffmpeg-args';
import { probeVideo } from '../cli/video-detections';
import { sourceFrameOfSlot, startFrame } from './frames';

/** One decoded and detected frame. */
export interface ClipFrame {
  /** 0-based index in the run. */
  seq: number;
  /** Seconds from the start of the video file: the time of the video frame it is (see frames.ts). */
  t: number;
  /** 0-based index of the nearest frame of the video file (labels are numbered by it). */
  videoFrame: number;
  /** Boxes in frame fractions, at the pass's score floor. */
  detections: Detection[];
  /** Faces (cameras with faces enabled), matched at the pass's loosest face threshold. */
  faces?: FaceObservation[];
}

/** What the detection pass produced. */
export interface DetectedClip {
  camera: string;
  video: string;
  /** Size and frame rate of the video file; label boxes are in its pixels. */
  videoWidth: number;
  videoHeight: number;
  videoFps: number;
  /** Frames per second of the run (the camera's detect.fps unless overridden) and the size the detector was fed. */
  fps: number;
  width: number;
  height: number;
  /** Seconds of video covered: first frame's time and the span. */
  startS: number;
  durationS: number;
  /** Lowest score kept by the pass. */
  scoreFloor: number;
  model: string;
  provider: string;
  frames: ClipFrame[];
  /** Milliseconds: wall time of the pass, time the loop waited for decoded frames, FFmpeg's CPU time, detector steps summed over frames. */
  timing: { wallMs: number; decodeWaitMs: number; decodeCpuMs: number | null; preMs: number; inferMs: number; postMs: number; detectMs: number; facesMs?: number };
}

/** Options of {@link detectClip}. */
export interface ClipOptions {
  camera: string;
  /** Frames per second; default the camera's detect.fps. */
  fps?: number;
  /** Start (s) and length (s) of the segment to run; default the whole file. */
  startS?: number;
  durationS?: number;
  /** At most this many frames. */
  maxFrames?: number;
  /** Keep detections down to this score (all classes). */
  scoreFloor: number;
  /** The face stage, run on every frame after the detector (the caller owns and closes it). */
  faces?: FaceStage;
  log: Logger;
}

/** CPU time (ms) of a process from /proc (Linux), or null. */
function cpuMsOf(pid: number | undefined): number | null {
  if (pid === undefined) {
    return null;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

/** The config with the detector's thresholds lowered to `floor` (the pass keeps every box a later filter may want). */
export function withScoreFloor(config: VigilConfig, floor: number): VigilConfig {
  const d = config.models.detector;
  const classThresholds = Object.fromEntries(Object.entries(d.classThresholds).map(([k, v]) => [k, Math.min(v, floor)]));
  return { ...config, models: { ...config.models, detector: { ...d, scoreThreshold: Math.min(d.scoreThreshold, floor), classThresholds } } };
}

/** Decodes and detects a clip (see the module comment). Throws with a clear message for a missing camera or video. */
export async function detectClip(config: VigilConfig, video: string, o: ClipOptions): Promise<DetectedClip> {
  const cam = config.cameras.find((c) => c.id === o.camera);
  if (!cam) {
    throw new TypeError(`the config has no camera "${o.camera}" (cameras: ${config.cameras.map((c) => c.id).join(', ') || 'none'})`);
  }
  let info;
  try {
    info = await probeVideo(video);
  } catch (err) {
    throw new TypeError(`${video}: cannot read the video (${(err as Error).message.split('\n')[0]})`);
  }
  const fps = o.fps ?? cam.detect.fps;
  const args = buildFfmpegArgs({ url: video, fps, width: cam.detect.width, height: cam.detect.height, loop: false, realtime: false });
  const width = args.size?.width ?? cam.detect.width;
  const height = args.size?.height ?? scaledHeight(cam.detect.width, info.width, info.height);
  const startS = o.startS ?? 0;
  const argv = toArgv(args).map((a) => (a === 'info' ? 'error' : a));
  const at = argv.indexOf('-i');
  const seek = startS > 0 ? ['-ss', String(startS)] : [];
  const limit = o.durationS !== undefined ? ['-t', String(o.durationS)] : [];
  const full = [...argv.slice(0, at), ...seek, ...limit, ...argv.slice(at)];
  const passConfig = withScoreFloor(config, o.scoreFloor);
  const ctx = new Context(passConfig, o.log, new Set(), { defaultMetrics: false });
  const detector = await createDetector(ctx);
  const frames: ClipFrame[] = [];
  const timing: DetectedClip['timing'] = { wallMs: 0, decodeWaitMs: 0, decodeCpuMs: null, preMs: 0, inferMs: 0, postMs: 0, detectMs: 0 };
  const size = width * height * 3;
  const t0 = performance.now();
  const ff = spawn('ffmpeg', full, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  ff.stderr.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-2000);
  });
  const exited = new Promise<number | null>((resolve) => ff.once('close', (code) => resolve(code)));
  let pending: Buffer[] = [];
  let have = 0;
  let waitFrom = performance.now();
  const first = startFrame(startS, info.fps);
  try {
    for await (const chunk of ff.stdout as AsyncIterable<Buffer>) {
      pending.push(chunk);
      have += chunk.length;
      while (have >= size && (o.maxFrames === undefined || frames.length < o.maxFrames)) {
        timing.decodeWaitMs += performance.now() - waitFrom;
        const all = pending.length === 1 ? pending[0] : Buffer.concat(pending);
        const pixels = all.subarray(0, size);
        const rest = all.subarray(size);
        pending = rest.length ? [rest] : [];
        have = rest.length;
        const seq = frames.length;
        const videoFrame = first + sourceFrameOfSlot(seq, fps, info.fps);
        const t = videoFrame / info.fps;
        const d0 = performance.now();
        const out = await detector.detect({ pixels, width, height });
        timing.detectMs += performance.now() - d0;
        timing.preMs += out.timings.preMs / out.batchSize;
        timing.inferMs += out.timings.inferMs / out.batchSize;
        timing.postMs += out.timings.postMs / out.batchSize;
        const frame: ClipFrame = { seq, t, videoFrame, detections: out.detections };
        if (o.faces) {
          const f0 = performance.now();
          frame.faces = await o.faces.process({ camera: o.camera, seq, width, height, pixels }, out.detections);
          timing.facesMs = (timing.facesMs ?? 0) + performance.now() - f0;
        }
        frames.push(frame);
        if (seq % 25 === 0) {
          timing.decodeCpuMs = cpuMsOf(ff.pid) ?? timing.decodeCpuMs;
        }
        waitFrom = performance.now();
      }
      if (o.maxFrames !== undefined && frames.length >= o.maxFrames) {
        break;
      }
    }
    timing.decodeCpuMs = cpuMsOf(ff.pid) ?? timing.decodeCpuMs;
  } finally {
    if (ff.exitCode === null) {
      ff.kill('SIGKILL');
    }
    await detector.close();
    await ctx.closeConnections();
  }
  const code = await exited;
  if (frames.length === 0) {
    throw new TypeError(`${video}: no frame decoded${code ? ` (ffmpeg exited ${code}: ${stderr.trim().split('\n').pop() ?? ''})` : ''}`);
  }
  timing.wallMs = performance.now() - t0;
  return {
    camera: o.camera,
    video,
    videoWidth: info.width,
    videoHeight: info.height,
    videoFps: info.fps,
    fps,
    width,
    height,
    startS,
    durationS: frames.length / fps,
    scoreFloor: passConfig.models.detector.scoreThreshold,
    model: config.models.detector.file,
    provider: detector.info.provider,
    frames,
    timing,
  };
}
