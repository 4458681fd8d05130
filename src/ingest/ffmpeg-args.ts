/**
 * Pure: the ffmpeg command line for one camera. No I/O here, so every choice is unit-tested without running ffmpeg
 * (the pattern of frigate's `ffmpeg_presets.py`).
 *
 * Facts measured with FFmpeg 5.1 that shape these arguments: when an RTSP server dies ffmpeg exits with status 0 and
 * no message; when it goes silent with the socket open ffmpeg hangs and ignores the first SIGTERM; `-timeout`
 * (microseconds) plus `-xerror` makes it exit after about twice the timeout; `-stimeout` no longer exists.
 */

/** What the arguments are built from (a camera's config, reduced to what ffmpeg needs). */
export interface FfmpegArgsInput {
  /** rtsp(s)://, http(s)://, rtmp://, udp://, srt:// URL, file: URL or file path (may contain `%d` for images). */
  url: string;
  /** RTSP transport. @defaultValue 'tcp' */
  transport?: 'tcp' | 'udp';
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
}

/** How the input is read. */
export type InputKind = 'rtsp' | 'network' | 'file' | 'images';

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
      return 'http,https,tcp,tls';
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
  const kind = inputKind(url);
  const timeoutUs = Math.round(input.timeoutUs ?? 5_000_000);
  const inputOptions: string[] = ['-protocol_whitelist', protocolWhitelist(url)];
  let source = url;
  if (kind === 'rtsp') {
    inputOptions.push('-rtsp_transport', input.transport ?? 'tcp', '-timeout', String(timeoutUs));
    // Fast start: the SDP describes the stream, so probe only briefly (FFmpeg's default analysis took 2.9 s before the
    // first frame; `-fflags nobuffer` made the first frame wait for a keyframe, 2.2 s more; this: 0.2 s, measured
    // against the GStreamer test server). That is most of a takeover's time to the first detection. `low_delay`:
    // frames are handed on without a reordering delay.
    inputOptions.push('-analyzeduration', '100000', '-probesize', '65536', '-flags', 'low_delay');
  } else if (kind === 'network') {
    if (/^https?:/i.test(url)) {
      inputOptions.push('-timeout', String(timeoutUs), '-reconnect', '0');
    } else if (/^(udp|srt):/i.test(url)) {
      inputOptions.push('-timeout', String(timeoutUs));
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
    '-xerror',
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
  return { inputOptions, input: source, outputOptions, output: 'pipe:1', size, kind };
}

/** Options placed first on every command line (`info` level: the output size is read from stderr). */
export const GLOBAL_OPTIONS: readonly string[] = ['-hide_banner', '-nostdin', '-loglevel', 'info'];

/** The whole argument vector (after the `ffmpeg` binary) as the adapter runs it. */
export function toArgv(a: FfmpegArgs): string[] {
  return [...GLOBAL_OPTIONS, ...a.inputOptions, '-i', a.input, ...a.outputOptions, a.output];
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
