/**
 * `vigil eval labels export`: frames of a video at a given rate, as JPEG files named by their video frame number
 * (1-based: `frame_000015.jpg` is the 15th frame of the video; which frames FFmpeg's fps filter picks: ../frames.ts), with `frames.csv` (file, frame, t) listing them, for
 * labelling in any tool. COCO files made from them map image to frame through the file name.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { probeVideo } from '../../cli/video-detections';
import { sourceFrameOfSlot, startFrame } from '../frames';

/** Options of {@link exportFrames}. */
export interface ExportOptions {
  video: string;
  fps: number;
  out: string;
  startS?: number;
  durationS?: number;
}

/** Pure: the file name of a frame. */
export function frameFile(frame: number): string {
  return `frame_${String(frame).padStart(6, '0')}.jpg`;
}

/** Pure: frames.csv text for exported frames. */
export function framesCsv(rows: ReadonlyArray<{ file: string; frame: number; t: number }>): string {
  return `file,frame,t\n${rows.map((r) => `${r.file},${r.frame},${Math.round(r.t * 1000) / 1000}\n`).join('')}`;
}

/** Pure: reads frames.csv into task index (0-based, in file order) → video frame. */
export function parseFramesCsv(text: string, source = 'frames.csv'): Map<number, number> {
  const lines = text.trim().split(/\r?\n/);
  const head = lines[0]?.split(',').map((s) => s.trim()) ?? [];
  const col = head.indexOf('frame');
  if (col < 0) {
    throw new TypeError(`${source}: expected a header with a "frame" column (as vigil eval labels export writes)`);
  }
  const out = new Map<number, number>();
  lines.slice(1).forEach((l, i) => {
    const f = Number(l.split(',')[col]);
    if (!Number.isInteger(f) || f < 1) {
      throw new TypeError(`${source}: line ${i + 2}: frame must be an integer >= 1`);
    }
    out.set(i, f);
  });
  return out;
}

/** Exports the frames; returns what was written. */
export async function exportFrames(o: ExportOptions): Promise<Array<{ file: string; frame: number; t: number }>> {
  if (!(o.fps > 0)) {
    throw new TypeError(`--fps must be > 0 (got ${o.fps})`);
  }
  const info = await probeVideo(o.video);
  mkdirSync(o.out, { recursive: true });
  const tmp = join(o.out, `.export-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const start = o.startS ?? 0;
  try {
    await promisify(execFile)('ffmpeg', [
      '-v', 'error', '-nostdin',
      ...(start > 0 ? ['-ss', String(start)] : []),
      ...(o.durationS !== undefined ? ['-t', String(o.durationS)] : []),
      '-i', o.video, '-vf', `fps=${o.fps}`, '-q:v', '2', join(tmp, '%06d.jpg'),
    ]);
    const files = readdirSync(tmp).filter((f) => f.endsWith('.jpg')).sort();
    const first = startFrame(start, info.fps);
    const rows = files.map((f, k) => {
      const n = first + sourceFrameOfSlot(k, o.fps, info.fps);
      const t = n / info.fps;
      const frame = n + 1;
      const file = frameFile(frame);
      renameSync(join(tmp, f), join(o.out, file));
      return { file, frame, t };
    });
    writeFileSync(join(o.out, 'frames.csv'), framesCsv(rows));
    return rows;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
