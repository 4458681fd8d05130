import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Detection, DetectionResult } from '../core/types';

/** What {@link videoDetections} needs of a detector (the detect stage's `Detector`). */
export interface FrameDetector {
  detect(frame: { pixels: Uint8Array; width: number; height: number }): Promise<{ detections: Detection[] }>;
}

/** Options of {@link videoDetections}. */
export interface VideoDetectionsOptions {
  camera: string;
  /** Model name written in the results. @defaultValue 'detector' */
  model?: string;
  /** Frames per second to detect (ffmpeg `fps` filter); omitted = every frame. */
  fps?: number;
  /** Capture time of the first frame (ms). @defaultValue now */
  startMs?: number;
}

/** Width, height and frame rate of a video (ffprobe). */
export async function probeVideo(file: string): Promise<{ width: number; height: number; fps: number }> {
  const { stdout } = await promisify(execFile)('ffprobe', [
    '-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height,r_frame_rate', '-of', 'json', file,
  ]);
  const s = (JSON.parse(stdout) as { streams: Array<{ width: number; height: number; r_frame_rate: string }> }).streams[0];
  if (!s) {
    throw new TypeError(`${file}: no video stream`);
  }
  const [n, d] = s.r_frame_rate.split('/').map(Number);
  return { width: s.width, height: s.height, fps: d ? n / d : n };
}

/**
 * Decodes a video file with ffmpeg (rgb24) and runs the detector on every frame, yielding DetectionResults whose
 * capture times follow the video's own clock. For `vigil replay --video` and for recording test fixtures. The
 * caller owns (and closes) the detector.
 */
export async function* videoDetections(
  file: string,
  detector: FrameDetector,
  o: VideoDetectionsOptions,
): AsyncGenerator<DetectionResult> {
  const info = await probeVideo(file);
  const fps = o.fps ?? info.fps;
  const { width, height } = info;
  const size = width * height * 3;
  const args = ['-v', 'error', '-nostdin', '-i', file];
  if (o.fps !== undefined) {
    args.push('-vf', `fps=${o.fps}`);
  }
  args.push('-f', 'rawvideo', '-pix_fmt', 'rgb24', '-');
  const ff = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const start = o.startMs ?? Date.now();
  let seq = 0;
  let pending: Buffer[] = [];
  let have = 0;
  try {
    for await (const chunk of ff.stdout as AsyncIterable<Buffer>) {
      pending.push(chunk);
      have += chunk.length;
      while (have >= size) {
        const all = pending.length === 1 ? pending[0] : Buffer.concat(pending);
        const frame = all.subarray(0, size);
        const rest = all.subarray(size);
        pending = rest.length ? [rest] : [];
        have = rest.length;
        const capturedAt = start + Math.round((seq * 1000) / fps);
        const out = await detector.detect({ pixels: frame, width, height });
        yield {
          camera: o.camera,
          seq,
          frameKey: '',
          width,
          height,
          format: 'rgb24',
          times: { capturedAt, queuedAt: capturedAt },
          model: o.model ?? 'detector',
          detections: out.detections,
        };
        seq++;
      }
    }
  } finally {
    if (ff.exitCode === null) {
      ff.kill('SIGKILL');
    }
  }
}
