/**
 * Pure: the ffmpeg command line for one camera. No I/O here, so every choice is unit-tested without running ffmpeg
 * (the pattern of frigate's `ffmpeg_presets.py`).
 *
 * Facts measured with FFmpeg 5.1 that shape these arguments: when an RTSP server dies ffmpeg exits with status 0 and
 * no message; when it goes silent with the socket open ffmpeg hangs and ignores the first SIGTERM (the supervisor's
 * stall watchdog kills it); `-stimeout` no longer exists. `-xerror` is NOT used: it ended FFmpeg on the first corrupt
 * frame (a UDP loss, a Wi-Fi hiccup, a file's loop point), a reconnect of several seconds for one bad frame. Without
 * it FFmpeg conceals or drops the damaged frame and goes on; `-fflags +discardcorrupt` drops packets the demuxer
 * knows are damaged (MPEG-TS continuity errors) instead of decoding garbage, and each damaged packet or frame is
 * counted from FFmpeg's stderr ({@link corruptFrameLine}). Only a stalled or ended stream restarts FFmpeg.
 *
 * Timing (measured with scripts/measure-sources.ts, docs/pipeline.md "Sources"): MJPEG over HTTP (multipart/x-mixed-replace) carries no timestamps and FFmpeg
 * assumes 25 fps, so a 5 fps camera came out at 1 fps through the fps filter: `-use_wallclock_as_timestamps 1` stamps
 * each frame when it arrives. HLS arrives a segment at a time (20 frames in a burst every 2 s, most of them superseded
 * in the mailbox): `-re` reads it at its own pace, 5 frames every second.
 */

import type { RecordOutput } from './recorder-args';

/** What the arguments are built from (a camera's config, reduced to what ffmpeg needs). */
export interface FfmpegArgsInput {
  /** rtsp(s)://, http(s)://, rtmp://, udp://, srt:// URL, file: URL or file path (may contain `%d` for images). */
  url: string;
  /** RTSP transport of this run (the supervisor resolves `auto`). @defaultValue 'tcp' */
  transport?: 'tcp' | 'udp';
  /**
   * How frame times are taken for network streams: `stream` (the source's timestamps), `wallclock` (arrival time:
   * MJPEG, HTTP cameras without reliable timestamps) or `paced` (the source's timestamps, read at real-time pace:
   * HLS and other bursty sources); `auto` picks by source ({@link autoTiming}). Ignored for files, images and
   * snapshots. @defaultValue 'auto'
   */
  timing?: Timing;
  /** The URL serves one JPEG per request (an ONVIF-style snapshot URI): fetched again for every frame, at `fps`. */
  snapshot?: boolean;
  /** Loop file inputs forever. @defaultValue true */
  loop?: boolean;
  /**
   * Read file inputs at their real-time speed (`-re`). False reads them as fast as the consumer takes frames (the
   * ingest pauses reading ffmpeg's output when the frame queue is full). Ignored for live sources. @defaultValue true
   */
  realtime?: boolean;
  /** Output frames per second. */
  fps: number;
  /** Output width in pixels. */
  width: number;
  /** Output height in pixels; omitted = from the source aspect ratio (even). */
  height?: number;
  /** Network I/O timeout in microseconds (`-timeout`). @defaultValue 5_000_000 */
  timeoutUs?: number;
  /** A second output: the camera's ring buffer (recorder-args.ts), written by the same process from the same input. */
  record?: RecordOutput;
}

/** The argument vector, split the way the process adapter needs it. */
export interface FfmpegArgs {
  /** Options placed before `-i`. */
  inputOptions: string[];
  /** The `-i` value. */
  input: string;
  /** Options placed after `-i` (filters, format), ending before the output target. */
  outputOptions: string[];
  /** Output target: always `pipe:1` (stdout), never a file. */
  output: 'pipe:1';
  /** Output frame size when it is known before ffmpeg starts (both dimensions configured, or image sequences). */
  size?: { width: number; height: number };
  /** Kind of input, for logs and the restart policy. */
  kind: InputKind;
  /** The ring-buffer output after the frames' output, when the camera is recorded. */
  record?: RecordOutput;
}

/** How the input is read. */
export type InputKind = 'rtsp' | 'network' | 'file' | 'images' | 'snapshot';

/** How frame times are taken from a network stream. */
export type Timing = 'auto' | 'stream' | 'wallclock' | 'paced';

/** Pure: is the URL a segmented HTTP stream (HLS `.m3u8`, DASH `.mpd`) that arrives in bursts? */
export function isSegmentedStream(url: string): boolean {
  return /^https?:\/\//i.test(url) && /\.(m3u8|mpd)$/i.test(url.split(/[?#]/)[0]);
}

/**
 * Pure: the timing `auto` means for a network URL: `paced` for HLS/DASH, `wallclock` for other HTTP streams (MJPEG,
 * HTTP cameras: no or unreliable timestamps, and they arrive in real time), `stream` for RTSP, RTMP, UDP and SRT.
 */
export function autoTiming(url: string): Exclude<Timing, 'auto'> {
  if (isSegmentedStream(url)) {
    return 'paced';
  }
  return /^https?:\/\//i.test(url) ? 'wallclock' : 'stream';
}

/** Classifies a camera URL. */
export function inputKind(url: string): InputKind {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'rtsp' || scheme === 'rtsps') {
    return 'rtsp';
  }
  if (scheme !== undefined && scheme !== 'file') {
    return 'network';
  }
  return /%0?\d*d/.test(url) ? 'images' : 'file';
}

/** `file:///a/b.mp4` → `/a/b.mp4`; anything else unchanged. */
export function filePath(url: string): string {
  if (/^file:\/\//i.test(url)) {
    return decodeURIComponent(url.replace(/^file:\/\//i, ''));
  }
  return url;
}

/**
 * Pure: the FFmpeg protocols a source may open (`-protocol_whitelist`), from its scheme: what the scheme itself needs
 * (RTSP opens tcp/udp/rtp, RTSPS and HTTPS tls) and nothing else, so a playlist or a redirect cannot reach a local
 * file (`file`, `concat`, `subfile`) or another protocol. Paths and file: URLs get `file` only; anything without a
 * known scheme (`concat:`, `subfile:`, ...) is read as a file name, which the whitelist then refuses to open.
 */
export function protocolWhitelist(url: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'rtsp':
      return 'rtsp,rtp,srtp,tcp,udp';
    case 'rtsps':
      return 'rtsp,rtsps,rtp,srtp,tcp,udp,tls';
    case 'http':
    case 'https':
      // crypto: AES-128 HLS segments (crypto+https://...); what it wraps is checked against this list again.
      return 'http,https,tcp,tls,crypto';
    case 'rtmp':
    case 'rtmps':
      return 'rtmp,rtmps,tcp,tls';
    case 'udp':
      return 'udp';
    case 'srt':
      return 'srt';
    default:
      return 'file';
  }
}

/** Rounds to the nearest even number, at least 2 (yuv → rgb scalers want even sizes). */
export function even(n: number): number {
  return Math.max(2, 2 * Math.round(n / 2));
}

/** Output height for a source of `srcW`x`srcH` scaled to `width` (even, aspect kept). */
export function scaledHeight(width: number, srcW: number, srcH: number): number {
  return even((width * srcH) / srcW);
}

/** Formats fps for ffmpeg without float noise (`5`, `0.5`, `12.5`). */
export function formatFps(fps: number): string {
  return String(Math.round(fps * 1000) / 1000);
}

/** Builds the ffmpeg arguments for one camera. Throws TypeError on invalid input. */
export function buildFfmpegArgs(input: FfmpegArgsInput): FfmpegArgs {
  const { url, fps, width } = input;
  if (!url) {
    throw new TypeError('ffmpeg args: url is empty');
  }
  if (!(fps > 0) || !Number.isFinite(fps)) {
    throw new TypeError(`ffmpeg args: fps must be > 0 (got ${fps})`);
  }
  if (!Number.isInteger(width) || width < 2) {
    throw new TypeError(`ffmpeg args: width must be an integer >= 2 (got ${width})`);
  }
  const kind: InputKind = input.snapshot ? 'snapshot' : inputKind(url);
  const timeoutUs = Math.round(input.timeoutUs ?? 5_000_000);
  const inputOptions: string[] = ['-protocol_whitelist', protocolWhitelist(url)];
  let source = url;
  if (kind === 'snapshot') {
    if (!/^https?:\/\//i.test(url)) {
      throw new TypeError('ffmpeg args: a snapshot source must be an http(s):// URL');
    }
    // One JPEG per request: the image2 demuxer opens the URL again for every frame (`-loop 1`), at `fps` (`-re`
    // paces the requests); `-pattern_type none` so a `%` in the URL is never read as a file-number pattern, and the
    // codec is given because snapshot URLs rarely end in .jpg. (image2 takes no `-timeout`: the watchdog covers it.)
    inputOptions.push('-re', '-f', 'image2', '-pattern_type', 'none', '-c:v', 'mjpeg', '-loop', '1', '-framerate', formatFps(fps));
  } else if (kind === 'rtsp') {
    inputOptions.push('-rtsp_transport', input.transport ?? 'tcp', '-timeout', String(timeoutUs));
    // Fast start: the SDP describes the stream, so probe only briefly (FFmpeg's default analysis took 2.9 s before the
    // first frame; `-fflags nobuffer` made the first frame wait for a keyframe, 2.2 s more; this: 0.2 s, measured
    // against the GStreamer test server). That is most of a takeover's time to the first detection. `low_delay`:
    // frames are handed on without a reordering delay.
    inputOptions.push('-analyzeduration', '100000', '-probesize', '65536', '-flags', 'low_delay', '-fflags', '+discardcorrupt');
  } else if (kind === 'network') {
    const timing = input.timing === undefined || input.timing === 'auto' ? autoTiming(url) : input.timing;
    if (/^https?:/i.test(url)) {
      inputOptions.push('-timeout', String(timeoutUs), '-reconnect', '0');
    } else if (/^(udp|srt):/i.test(url)) {
      inputOptions.push('-timeout', String(timeoutUs));
    }
    inputOptions.push('-fflags', '+discardcorrupt');
    if (timing === 'wallclock') {
      inputOptions.push('-use_wallclock_as_timestamps', '1');
    } else if (timing === 'paced') {
      inputOptions.push('-re');
    }
  } else if (kind === 'images') {
    source = filePath(url);
    // A slideshow: one image per second, looped. Photos differ in size: without `-reinit_filter 0` every new size
    // rebuilds the filter graph, which resets the fps filter and loses most frames (measured with FFmpeg 5.1).
    inputOptions.push(...(input.realtime === false ? [] : ['-re']), '-reinit_filter', '0', '-f', 'image2', '-framerate', '1');
    if (input.loop !== false) {
      inputOptions.push('-loop', '1');
    }
  } else {
    source = filePath(url);
    if (input.realtime !== false) {
      inputOptions.push('-re');
    }
    if (input.loop !== false) {
      inputOptions.push('-stream_loop', '-1');
    }
    inputOptions.push('-fflags', '+discardcorrupt');
  }

  const filters = [`fps=${formatFps(fps)}`];
  let size: FfmpegArgs['size'];
  if (input.height !== undefined) {
    const h = even(input.height);
    filters.push(`scale=${even(width)}:${h}`);
    size = { width: even(width), height: h };
  } else if (kind === 'images') {
    // Photos of different sizes: fit into a fixed 4:3 box so every raw frame has the same size.
    const w = even(width);
    const h = even((width * 3) / 4);
    filters.push(`scale=${w}:${h}:force_original_aspect_ratio=decrease`, `pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2`);
    size = { width: w, height: h };
  } else {
    filters.push(`scale=${even(width)}:-2`);
  }
  const outputOptions = [
    '-an',
    '-sn',
    '-dn',
    '-vf',
    filters.join(','),
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
  ];
  const out: FfmpegArgs = { inputOptions, input: source, outputOptions, output: 'pipe:1', size, kind };
  // Images and snapshots are not a video stream that can be copied.
  if (input.record && (kind === 'rtsp' || kind === 'network' || kind === 'file')) {
    out.record = input.record;
  }
  return out;
}

/** Options placed first on every command line (`info` level: the output size is read from stderr). */
export const GLOBAL_OPTIONS: readonly string[] = ['-hide_banner', '-nostdin', '-loglevel', 'info'];

/** The whole argument vector (after the `ffmpeg` binary) as the adapter runs it. */
export function toArgv(a: FfmpegArgs): string[] {
  const record = a.record ? [...a.record.options, a.record.target] : [];
  return [...GLOBAL_OPTIONS, ...a.inputOptions, '-i', a.input, ...a.outputOptions, a.output, ...record];
}

/**
 * Reads the output frame size from ffmpeg's stderr line describing the output stream, e.g.
 * `  Stream #0:0: Video: rawvideo (RGB[24] / 0x18424752), rgb24(pc, gbr/bt709/bt709, progressive), 640x480, ...`.
 * Returns undefined for any other line.
 */
export function parseOutputSize(line: string): { width: number; height: number } | undefined {
  if (!/Stream #\d+:\d+.*Video: rawvideo/.test(line)) {
    return undefined;
  }
  const m = /,\s*(\d{2,5})x(\d{2,5})[,\s]/.exec(line.replace(/\([^()]*\)/g, '') + ' ');
  if (!m) {
    return undefined;
  }
  return { width: Number(m[1]), height: Number(m[2]) };
}

/**
 * Pure: does this FFmpeg stderr line report a damaged or missing frame? FFmpeg 5.1 prints one line per event
 * (`Error while decoding stream #0:0: ...` when a frame could not be decoded at all),
 * `URL: corrupt decoded frame in stream 0` (a frame decoded with errors, concealed), `URL: corrupt input packet in
 * stream 0`, `[mpegts @ ...] Packet corrupt (stream = 0, dts = ...), dropping it.` (with `+discardcorrupt`) and
 * `[rtsp @ ...] RTP: missed N packets` (UDP losses). The decoder's own detail lines (`error while decoding MB`,
 * `concealing ... errors`) belong to one of those and are not counted again.
 */
export function corruptFrameLine(line: string): boolean {
  return (
    /: corrupt (decoded frame|input packet) in stream \d+/.test(line) ||
    /Packet corrupt \(stream = \d+/.test(line) ||
    /RTP: missed \d+ packets/.test(line) ||
    /Error while decoding stream #\d+:\d+/.test(line)
  );
}

/** Pure: a decoder's detail line about a damaged frame (`error while decoding MB`, `concealing ... errors`): noise. */
export function decoderNoiseLine(line: string): boolean {
  return /\] (error while decoding MB|concealing \d+ DC|left block unavailable|Invalid NAL unit|corrupted macroblock|top block unavailable|out of range intra chroma)/.test(line);
}

/** Pure: does this stderr line say the RTSP server refused the transport asked for (`461 Unsupported transport`)? */
export function unsupportedTransportLine(line: string): boolean {
  return /\b461 Unsupported transport/i.test(line);
}
