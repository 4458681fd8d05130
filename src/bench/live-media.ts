/**
 * The clip `vigil bench live` serves: probed with ffprobe and, when another frame size is asked (a 640x360
 * substream), re-encoded once beforehand into a temp file the way cameras send it: H.264 Main, no B-frames, the
 * source's frame rate, a key frame every 2 s.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A video's size and frame rate. */
export interface ClipInfo {
  width: number;
  height: number;
  fps: number;
}

/** Parses ffprobe's `width,height,r_frame_rate` CSV line (pure); undefined when it is not one. */
export function parseProbe(line: string): ClipInfo | undefined {
  const m = /^(\d+),(\d+),(\d+)(?:\/(\d+))?/.exec(line.trim());
  if (!m) {
    return undefined;
  }
  const fps = Number(m[3]) / Number(m[4] ?? 1);
  const width = Number(m[1]);
  const height = Number(m[2]);
  return width > 0 && height > 0 && fps > 0 && fps <= 240 ? { width, height, fps } : undefined;
}

/** ffprobe of a file's first video stream; throws naming the file when it cannot be read. */
export function probeClip(file: string): ClipInfo {
  const r = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height,r_frame_rate', '-of', 'csv=p=0', file], {
    encoding: 'utf8',
    timeout: 15_000,
  });
  const info = parseProbe(r.stdout ?? '');
  if (!info) {
    throw new Error(`bench live: cannot read the video stream of ${file} (${(r.stderr ?? '').trim() || r.error?.message || 'no video'})`);
  }
  return info;
}

/** The clip to serve and how to remove it. */
export interface PreparedClip extends ClipInfo {
  file: string;
  reencoded: boolean;
  /** Removes the re-encoded copy (a no-op for the source). */
  cleanup(): void;
}

/** The re-encoding command line (pure). */
export function reencodeArgs(src: string, dst: string, width: number, height: number, fps: number): string[] {
  const gop = String(Math.max(1, Math.round(fps * 2)));
  return [
    '-hide_banner', '-nostdin', '-v', 'error', '-y', '-i', src, '-an', '-sn', '-dn',
    '-vf', `scale=${width}:${height}`, '-r', String(fps),
    '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'main', '-bf', '0', '-g', gop, '-keyint_min', gop,
    '-pix_fmt', 'yuv420p', '-movflags', '+faststart', dst,
  ];
}

/** The source itself when it already has the size asked (or none is asked), else a re-encoded copy. */
export function prepareClip(src: string, width?: number, height?: number): PreparedClip {
  const info = probeClip(src);
  const w = width ?? info.width;
  const h = height ?? (width !== undefined ? 2 * Math.round((width * info.height) / info.width / 2) : info.height);
  if (w === info.width && h === info.height) {
    return { ...info, file: src, reencoded: false, cleanup: () => undefined };
  }
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-clip-'));
  const dst = join(dir, `clip-${w}x${h}.mp4`);
  const r = spawnSync('ffmpeg', reencodeArgs(src, dst, w, h, info.fps), { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`bench live: re-encoding ${src} to ${w}x${h} failed: ${(r.stderr ?? '').trim() || r.error?.message}`);
  }
  const out = probeClip(dst);
  return { ...out, file: dst, reencoded: true, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
