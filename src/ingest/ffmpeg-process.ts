import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import ffmpeg, { type FfmpegCommand } from 'fluent-ffmpeg';
import { childPids, commandLineOf } from '../core/child-processes';
import { framePool } from '../core/frame-pool';
import { redact } from '../core/redact';
import { FrameCutter } from './frame-cutter';
import { corruptFrameLine, decoderNoiseLine, GLOBAL_OPTIONS, parseOutputSize, toArgv, unsupportedTransportLine, type FfmpegArgs } from './ffmpeg-args';

/**
 * The ONE module that imports fluent-ffmpeg (archived upstream in 2025): swapping it for a plain `spawn` touches
 * only this file. Runs ffmpeg with the arguments of `ffmpeg-args.ts`, cuts its stdout into frames of exactly
 * `width * height * 3` bytes and keeps the last stderr lines (for the exit classification). Only fluent-ffmpeg's public
 * API is used: its events for the start, the stderr lines and the end, `kill(signal)` to stop.
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

/** One ffmpeg run. Create, `start()`, listen for `frame` and `exit`; `stop()` kills it. */
export class FfmpegProcess extends EventEmitter<FfmpegProcessEvents> {
  private cmd: FfmpegCommand | undefined;
  private started = false;
  private childPid: number | undefined;
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

  /** The process id once it runs (Linux; undefined where /proc cannot tell it). */
  get pid(): number | undefined {
    return this.childPid;
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
      // fluent-ffmpeg keeps this many stderr lines for its own error message (0 would keep every progress line).
      const cmd = ffmpeg({ stdoutLines: this.options.stderrLines ?? 20 });
      this.cmd = cmd;
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
      cmd.on('start', (commandLine: string) => {
        this.started = true;
        this.childPid = claimChild(commandLine);
        // stop() came while fluent-ffmpeg was still probing capabilities (no process yet): kill it now.
        if (this.killedByUs) {
          cmd.kill('SIGKILL');
        }
        resolve();
      });
      cmd.on('stderr', (line: string) => this.onStderr(line));
      // fluent-ffmpeg reports the end once, after the process has exited and its stderr is read to the last line:
      // 'end' for exit code 0, 'error' for anything else (or for a process that could not be started at all).
      cmd.on('end', () => this.finish(0, null, exitResolve));
      cmd.on('error', (err: Error) => {
        const ended = exitOf(err);
        if (!ended) {
          this.tail.push(redact(err.message));
        }
        this.finish(ended?.code ?? null, ended?.signal ?? null, exitResolve);
        resolve();
      });
      cmd.run();
    });
  }

  /**
   * Stops the process: SIGTERM, then SIGKILL after `graceMs` if it is still alive (FFmpeg 5.1 ignores the first
   * SIGTERM while blocked on a silent socket). Resolves when it has exited.
   */
  async stop(graceMs = 1500): Promise<void> {
    this.killedByUs = true;
    const cmd = this.cmd;
    if (this.exited || !this.started || !cmd) {
      await this.exitPromise;
      return;
    }
    cmd.kill('SIGTERM');
    const timer = setTimeout(() => cmd.kill('SIGKILL'), graceMs);
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
    if (this.childPid !== undefined) {
      claimed.delete(this.childPid);
    }
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
    // No 'close' event: on it fluent-ffmpeg would report "Output stream closed" 20 ms later and kill FFmpeg, ahead of
    // the real exit code when stdout ends before the process has exited.
    super({ highWaterMark: 1 << 20, emitClose: false });
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

/** Pids of the FFmpeg children that a running {@link FfmpegProcess} already owns. */
const claimed = new Set<number>();

/**
 * The pid of the FFmpeg child fluent-ffmpeg has just spawned for `commandLine` (its 'start' event: "ffmpeg" and the
 * arguments joined by spaces). fluent-ffmpeg does not hand out the process, so it is looked up among this process's
 * children in /proc: the newest one running these exact arguments that no other run owns. 'start' is emitted in the
 * same tick as the spawn, so no other child can have been started in between. Undefined where /proc cannot be read.
 */
function claimChild(commandLine: string): number | undefined {
  const args = commandLine.replace(/^ffmpeg /, '');
  const pid = childPids(process.pid)
    .filter((c) => !claimed.has(c) && commandLineOf(c)?.slice(1).join(' ') === args)
    .pop();
  if (pid !== undefined) {
    claimed.add(pid);
  }
  return pid;
}

/** Exit code or signal from fluent-ffmpeg's error for a process that ran; undefined for any other error. */
function exitOf(err: Error): { code: number | null; signal: string | null } | undefined {
  const code = /^ffmpeg exited with code (-?\d+)/.exec(err.message);
  if (code) {
    return { code: Number(code[1]), signal: null };
  }
  const signal = /^ffmpeg was killed with signal (\w+)/.exec(err.message);
  return signal ? { code: null, signal: signal[1] ?? null } : undefined;
}
