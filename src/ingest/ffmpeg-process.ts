import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { Writable } from 'node:stream';
import ffmpeg from 'fluent-ffmpeg';
import { framePool } from '../core/frame-pool';
import { redact } from '../core/redact';
import { FrameCutter } from './frame-cutter';
import { corruptFrameLine, decoderNoiseLine, GLOBAL_OPTIONS, parseOutputSize, toArgv, unsupportedTransportLine, type FfmpegArgs } from './ffmpeg-args';

/**
 * The ONE module that imports fluent-ffmpeg (archived upstream in 2025): swapping it for a plain `spawn` touches
 * only this file. Runs ffmpeg with the arguments of `ffmpeg-args.ts`, cuts its stdout into frames of exactly
 * `width * height * 3` bytes, keeps the last stderr lines (for the exit classification) and kills by pid.
 */

/** Stdout bytes held while the output size is still unknown (a few frames at most in practice). */
const MAX_HELD_BYTES = 64 << 20;

/** Events of {@link FfmpegProcess}. */
export interface FfmpegProcessEvents {
  /**
   * One complete rgb24 frame. `capturedAt` is when its last byte left ffmpeg (epoch ms). The buffer is usually a
   * frame-pool slot: whoever holds it last gives it back with `releaseFrame`.
   */
  frame: [frame: Buffer, capturedAt: number, size: { width: number; height: number }];
  /** FFmpeg reported a damaged or missing frame or packet, and went on (see `corruptFrameLine`). */
  corrupt: [];
  /** A stderr line other than progress and frame-damage lines, when it arrived (epoch ms): the recorder reads them. */
  line: [line: string, at: number];
  /** The process ended (always emitted once, after `start`). */
  exit: [info: FfmpegExitInfo];
}

/** How a run ended. */
export interface FfmpegExitInfo {
  code: number | null;
  signal: string | null;
  /** The last stderr lines, credentials removed (corrupt-frame and decoder noise lines left out). */
  stderrTail: string[];
  killedByUs: boolean;
  /** The RTSP server answered `461 Unsupported transport` to the transport asked for. */
  transportRefused: boolean;
}

/** Options of {@link FfmpegProcess}. */
export interface FfmpegProcessOptions {
  /** Path of the ffmpeg binary. @defaultValue 'ffmpeg' on PATH */
  ffmpegPath?: string;
  /** Stderr lines kept for diagnosis. @defaultValue 20 */
  stderrLines?: number;
}

/** One ffmpeg run. Create, `start()`, listen for `frame` and `exit`; `stop()` kills it. */
/**
 * Before the first command a process runs, fluent-ffmpeg lists the formats and encoders FFmpeg offers (`ffmpeg
 * -formats`, `ffmpeg -encoders`) and keeps the answers for the process's life. On a loaded machine those two runs
 * took seconds, and they fell on the first camera a process started: a standby taking cameras over waited for them
 * before its first FFmpeg could connect. The ingest stage calls this when it starts (never on the frame path).
 * Resolves when both lists are known, or with the error of a missing or broken FFmpeg (the camera's own run reports
 * it again, with its state and reason).
 */
export function warmFfmpegCapabilities(ffmpegPath?: string): Promise<void> {
  const cmd = ffmpeg();
  if (ffmpegPath) {
    cmd.setFfmpegPath(ffmpegPath);
  }
  return new Promise<void>((resolve, reject) =>
    cmd.availableFormats((err) => (err ? reject(err) : cmd.availableEncoders((err2) => (err2 ? reject(err2) : resolve())))),
  );
}

export class FfmpegProcess extends EventEmitter<FfmpegProcessEvents> {
  private proc: ChildProcess | undefined;
  private cutter: FrameCutter | undefined;
  private size: { width: number; height: number } | undefined;
  private readonly tail: string[] = [];
  private transportRefused = false;
  private killedByUs = false;
  private exited = false;
  private exitPromise: Promise<void> | undefined;
  private held: Buffer[] = [];
  private heldBytes = 0;
  private readonly sink = new StdoutSink((c) => this.chunk(c));

  constructor(
    readonly args: FfmpegArgs,
    private readonly options: FfmpegProcessOptions = {},
  ) {
    super();
    this.size = args.size;
  }

  /** The process id while it runs. */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Whether the process has ended. */
  get ended(): boolean {
    return this.exited;
  }

  /** The argument vector with credentials removed, for logs. */
  get redactedCommand(): string {
    return redact(['ffmpeg', ...toArgv(this.args)].join(' '));
  }

  /** Spawns ffmpeg. Resolves once the process exists (or has failed to start: `exit` follows). */
  start(): Promise<void> {
    return new Promise<void>((resolve) => {
      let exitResolve: () => void = () => undefined;
      this.exitPromise = new Promise<void>((r) => (exitResolve = r));
      const cmd = ffmpeg({ stdoutLines: 0 });
      if (this.options.ffmpegPath) {
        cmd.setFfmpegPath(this.options.ffmpegPath);
      }
      cmd
        .input(this.args.input)
        .inputOptions([...GLOBAL_OPTIONS, ...this.args.inputOptions])
        .outputOptions(this.args.outputOptions)
        .output(this.sink, { end: true });
      if (this.args.record) {
        cmd.output(this.args.record.target).outputOptions(this.args.record.options);
      }
      cmd.on('start', () => {
        this.proc = (cmd as unknown as { ffmpegProc?: ChildProcess }).ffmpegProc;
        this.proc?.once('exit', (code, signal) => this.finish(code, signal, exitResolve));
        // stop() came while fluent-ffmpeg was still probing capabilities (no process yet): kill it now.
        if (this.killedByUs && this.proc?.pid !== undefined) {
          signalPid(this.proc.pid, 'SIGKILL');
        }
        resolve();
      });
      cmd.on('stderr', (line: string) => this.onStderr(line));
      // fluent-ffmpeg reports the end twice (error or end); the child's own 'exit' above is the source of truth.
      cmd.on('error', (err: Error) => {
        if (!this.proc) {
          this.tail.push(redact(err.message));
          this.finish(null, null, exitResolve);
          resolve();
        }
      });
      cmd.on('end', () => undefined);
      cmd.run();
    });
  }

  /**
   * Stops the process: SIGTERM, then SIGKILL after `graceMs` if it is still alive (FFmpeg 5.1 ignores the first
   * SIGTERM while blocked on a silent socket). Resolves when it has exited.
   */
  async stop(graceMs = 1500): Promise<void> {
    this.killedByUs = true;
    const pid = this.proc?.pid;
    if (this.exited || pid === undefined) {
      await this.exitPromise;
      return;
    }
    signalPid(pid, 'SIGTERM');
    const timer = setTimeout(() => signalPid(pid, 'SIGKILL'), graceMs);
    try {
      await this.exitPromise;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Stops reading ffmpeg's output after the current chunk: ffmpeg blocks on the full pipe and decodes nothing more
   * until `resume()` (backpressure for files read at full speed; never used for live sources).
   */
  pause(): void {
    this.sink.paused = true;
  }

  /** Reads ffmpeg's output again after `pause()`. */
  resume(): void {
    this.sink.resume();
  }

  /** Whether reading is paused. */
  get paused(): boolean {
    return this.sink.paused;
  }

  private chunk(data: Buffer): void {
    if (this.cutter) {
      this.cutter.push(data);
      return;
    }
    // stderr (with the output size) and stdout race; hold the first chunks until the size is known (bounded).
    if (this.heldBytes < MAX_HELD_BYTES) {
      this.held.push(data);
      this.heldBytes += data.length;
    }
    this.flushHeld();
  }

  private flushHeld(): void {
    const size = this.size;
    if (!size || this.cutter) {
      return;
    }
    const bytes = size.width * size.height * 3;
    const pool = framePool(bytes);
    this.cutter = new FrameCutter(bytes, (f) => this.emit('frame', f, Date.now(), size), () => pool.acquire());
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const h of held) {
      this.cutter.push(h);
    }
  }

  private onStderr(line: string): void {
    if (!this.size) {
      this.size = parseOutputSize(line);
      if (this.size && this.held.length > 0) {
        this.flushHeld();
      }
    }
    if (/^\s*frame=/.test(line)) {
      return;
    }
    if (corruptFrameLine(line)) {
      this.emit('corrupt');
      return;
    }
    if (decoderNoiseLine(line)) {
      return;
    }
    if (this.listenerCount('line') > 0) {
      this.emit('line', line, Date.now());
    }
    // The recording's segment switches (one every few seconds) would push the lines that explain an exit out of the tail.
    if (/\] Opening '.*' for writing$/.test(line)) {
      return;
    }
    if (unsupportedTransportLine(line)) {
      this.transportRefused = true;
    }
    this.tail.push(line);
    if (this.tail.length > (this.options.stderrLines ?? 20)) {
      this.tail.shift();
    }
  }

  private finish(code: number | null, signal: string | null, done: () => void): void {
    if (this.exited) {
      return;
    }
    this.exited = true;
    done();
    this.emit('exit', { code, signal, stderrTail: this.tail.map(redact), killedByUs: this.killedByUs, transportRefused: this.transportRefused });
  }
}

/**
 * The stdout target: hands every chunk to the process wrapper without copying. While paused it holds back the
 * write callback, so the stream stops reading the pipe (at most `highWaterMark` more bytes are buffered).
 */
class StdoutSink extends Writable {
  paused = false;
  private held: ((err?: Error | null) => void) | undefined;

  constructor(private readonly onChunk: (chunk: Buffer) => void) {
    super({ highWaterMark: 1 << 20 });
  }

  resume(): void {
    this.paused = false;
    const cb = this.held;
    this.held = undefined;
    cb?.();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.onChunk(chunk);
    if (this.paused) {
      this.held = cb;
    } else {
      cb();
    }
  }
}

/** Sends a signal to a pid, ignoring "no such process". */
export function signalPid(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}
