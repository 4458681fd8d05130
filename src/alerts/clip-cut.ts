import { execFile } from 'node:child_process';
import { rename, stat, unlink, writeFile } from 'node:fs/promises';

/**
 * The FFmpeg adapter of alert clips: joins ring-buffer segments and trims them into an MP4 without re-encoding.
 * Two copies, both `-c copy` (the cost is mostly starting FFmpeg twice: BENCHMARKS.md "Alert clips"):
 * 1. the concat demuxer joins the MPEG-TS segments into one MP4 (each segment's timestamps are moved to follow the
 *    previous one);
 * 2. `-ss OFFSET -i joined.mp4 -t DURATION -c copy`: the MP4 demuxer seeks exactly, the packets from the keyframe
 *    before OFFSET are kept (a copy cannot start between keyframes) and an MP4 edit list hides those before OFFSET,
 *    so a player starts at OFFSET (checked with ffprobe and Chromium: its first shown frame is the one at OFFSET).
 *    Seeking in the concat demuxer over MPEG-TS directly was not exact (the muxer's initial delay shifts it).
 * `+faststart` puts the index first, so a browser plays before the whole file is there. HEVC is tagged `hvc1`
 * (what Safari and Chrome's hardware HEVC path expect); nothing is transcoded.
 */

/** Options of {@link cutClip}. */
export interface CutOptions {
  /** Absolute paths of the segments, in order. */
  files: string[];
  /** Seconds into the joined segments where the clip starts. */
  offsetS: number;
  durationS: number;
  /** The clip file to write (written to `<out>.tmp` first, then renamed). */
  out: string;
  /** @defaultValue 'ffmpeg' */
  ffmpegPath?: string;
  /** Each FFmpeg run is killed after this long (ms). @defaultValue 60_000 */
  timeoutMs?: number;
}

/** What was written. */
export interface CutResult {
  bytes: number;
  durationMs: number;
  codec: string;
}

function run(bin: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1 << 20 }, (err, _stdout, stderr) => {
      if (err) {
        reject(new Error(`${bin} failed: ${String(stderr).trim().split('\n').slice(-3).join(' | ') || err.message}`));
      } else {
        resolve(String(stderr));
      }
    });
  });
}

/** Pure: the codec of the first video stream of an FFmpeg output, from its stderr (`Stream #0:0: Video: hevc (...)`). */
export function outputVideoCodec(stderr: string): string {
  const out = stderr.slice(Math.max(0, stderr.indexOf('Output #0')));
  return /Stream #\d+:\d+[^:]*: Video: (\w+)/.exec(out)?.[1] ?? 'unknown';
}

/** `file '...'` lines of an ffconcat list (a `'` in a path is written `'\''`). */
export function concatList(files: readonly string[]): string {
  return `ffconcat version 1.0\n${files.map((f) => `file '${f.replace(/'/g, "'\\''")}'\n`).join('')}`;
}

/** Cuts a clip. Rejects (leaving no file at `out`) when FFmpeg fails. */
export async function cutClip(o: CutOptions): Promise<CutResult> {
  const ffmpeg = o.ffmpegPath ?? 'ffmpeg';
  const timeout = o.timeoutMs ?? 60_000;
  const list = `${o.out}.list`;
  const joined = `${o.out}.joined.mp4`;
  const tmp = `${o.out}.tmp`;
  const base = ['-hide_banner', '-nostdin', '-y'];
  try {
    await writeFile(list, concatList(o.files));
    // `info` for the output stream's codec line (two FFmpeg runs in all: each start costs more CPU than the copy).
    const joinLog = await run(ffmpeg, [...base, '-loglevel', 'info', '-protocol_whitelist', 'file', '-f', 'concat', '-safe', '0', '-i', list, '-map', '0:v:0', '-c', 'copy', '-f', 'mp4', joined], timeout);
    const codec = outputVideoCodec(joinLog);
    const tag = codec === 'hevc' ? ['-tag:v', 'hvc1'] : [];
    await run(
      ffmpeg,
      [...base, '-loglevel', 'error', '-ss', o.offsetS.toFixed(3), '-i', joined, '-t', o.durationS.toFixed(3), '-map', '0:v:0', '-c', 'copy', ...tag, '-movflags', '+faststart', '-f', 'mp4', tmp],
      timeout,
    );
    const { size } = await stat(tmp);
    await rename(tmp, o.out);
    return { bytes: size, durationMs: Math.round(o.durationS * 1000), codec };
  } finally {
    await Promise.all([list, joined, tmp].map((f) => unlink(f).catch(() => undefined)));
  }
}
