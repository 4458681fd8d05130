/**
 * One camera's FFmpeg process under supervision: states starting/streaming/stalled/reconnecting/failed, restarts
 * with backoff, the stall watchdog, RTSP transport fallback and the frames handed to admission.
 *
 * Over 350 lines on purpose: CameraSupervisor is one state machine around one child process; its pure parts are
 * restart-policy.ts, stall-watchdog.ts, rtsp-transport.ts, ffmpeg-args.ts and frame-cutter.ts.
 */
import type Redis from 'ioredis';
import type { CameraConfig } from '../config/schema';
import type { Keys } from '../core/keys';
import type { Logger } from '../core/logger';
import { releaseFrame } from '../core/frame-pool';
import { redact } from '../core/redact';
import type { CameraState, CameraStateMessage } from '../core/types';
import { initialState, nextState, type CameraEvent, type CameraStatePoint } from './camera-state';
import { buildFfmpegArgs, inputKind } from './ffmpeg-args';
import { FfmpegProcess, type FfmpegExitInfo } from './ffmpeg-process';
import type { CameraAdmission } from './camera-admission';
import { setStateGauge, type IngestMetrics } from './metrics';
import { classifyExit, RestartPolicy, type RestartPolicyOptions } from './restart-policy';
import { RtspTransportChooser } from './rtsp-transport';
import { StallWatchdog } from './stall-watchdog';
import type { CameraRecorder } from './recorder';

/** What a supervisor needs from its stage. */
export interface CameraSupervisorDeps {
  /** Command connection (status hash, publish). */
  redis: Redis;
  keys: Keys;
  metrics: IngestMetrics;
  /** Child logger with `{stage, camera}` bindings. */
  log: Logger;
  /** Where the camera's frames go. */
  writer: CameraAdmission;
  /** Path of the ffmpeg binary. @defaultValue 'ffmpeg' */
  ffmpegPath?: string;
  /** Backoff settings (tests shorten them). */
  restart?: RestartPolicyOptions;
  /** How often the status hash gets lastFrameAt / fpsIngest / dropped (ms). @defaultValue 1000 */
  statusEveryMs?: number;
  /** Corrupt frames are logged (as a count) at most this often (ms). @defaultValue 60_000 */
  corruptLogEveryMs?: number;
  /** The camera's ring buffer, written by the same FFmpeg (absent: not recorded). */
  recorder?: CameraRecorder;
}

/**
 * Pure: the silence after which a camera counts as stalled (ms): its `stallSeconds`, but at least three frame
 * intervals of its detect fps (a snapshot camera fetched every 10 s is not stalled after 5 s).
 */
export function stallLimitMs(stallSeconds: number, fps: number): number {
  return Math.max(stallSeconds * 1000, Math.ceil(3000 / fps));
}

/**
 * Supervises one camera: owns its ffmpeg process, watches for stalls, respawns with backoff, keeps the status hash
 * (`keys.cameraStatus`) and publishes every state change on `keys.channels.camera`. Everything it does for one
 * camera is asynchronous and self-contained, so a broken camera never slows the others. Never throws into a timer;
 * credentials never reach its logs or messages.
 */
export class CameraSupervisor {
  private point: CameraStatePoint = initialState();
  private proc: FfmpegProcess | undefined;
  private readonly watchdog: StallWatchdog;
  private readonly policy: RestartPolicy;
  private respawnTimer: NodeJS.Timeout | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The run the watchdog is killing (its late frames are ignored). */
  private killing: FfmpegProcess | undefined;
  private stopping: Promise<void> | undefined;
  private lastFrameAt: number | undefined;
  private framesSinceTick = 0;
  private lastTick = Date.now();
  private fps = 0;
  /** Resolves when the status hash and the last publish are written (tests and close wait on it). */
  private writes: Promise<unknown> = Promise.resolve();
  /** RTSP cameras: the transport of the current run (`auto` falls back from TCP to UDP). */
  private readonly transport: RtspTransportChooser | undefined;
  /** Corrupt or missing frames FFmpeg reported since start (it went on after each). */
  corrupt = 0;
  private corruptLogged = 0;
  private corruptLoggedAt = 0;
  /** Frames received from ffmpeg since start. */
  frames = 0;
  /** ffmpeg spawns since start. */
  spawns = 0;

  constructor(
    readonly camera: CameraConfig,
    private readonly deps: CameraSupervisorDeps,
  ) {
    this.policy = new RestartPolicy(deps.restart);
    this.transport = !camera.snapshot && inputKind(camera.url) === 'rtsp' ? new RtspTransportChooser(camera.transport) : undefined;
    this.watchdog = new StallWatchdog({
      stallMs: stallLimitMs(camera.stallSeconds, camera.detect.fps),
      onStall: (info) => this.onStall(info.firstFrame, info.silentMs),
    });
  }

  /** Current state. */
  get state(): CameraState {
    return this.point.state;
  }

  /** Current state and reason. */
  get status(): Readonly<CameraStatePoint> {
    return this.point;
  }

  /** RTSP cameras: the transport of the current run (the one frames arrive over while streaming). */
  get rtspTransport(): 'tcp' | 'udp' | undefined {
    return this.transport?.transport;
  }

  /** The camera's ring buffer, when it is recorded. */
  get recorder(): CameraRecorder | undefined {
    return this.deps.recorder;
  }

  /** The running ffmpeg's pid, if any. */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Starts supervising: registers the camera, publishes `starting` and spawns ffmpeg. */
  start(): void {
    this.deps.log.info({ url: redact(this.camera.url) }, 'camera starting');
    this.publish(true);
    this.statusTimer = setInterval(() => this.tick(), this.deps.statusEveryMs ?? 1000);
    this.statusTimer.unref();
    this.spawn();
  }

  /**
   * Stops ffmpeg (SIGTERM, SIGKILL after `graceMs`) and every timer. Idempotent. The status hash stays; `remove`
   * deletes it. With `stoppedReason` the camera's state becomes `stopped` (a clean shutdown); without, the state is
   * left alone (another process owns the camera now, or it restarts at once).
   */
  stop(graceMs = 1500, stoppedReason?: string): Promise<void> {
    this.stopping ??= (async () => {
      this.stopped = true;
      this.watchdog.disarm();
      clearTimeout(this.respawnTimer);
      clearInterval(this.statusTimer);
      await Promise.allSettled([this.proc?.stop(graceMs), this.deps.writer.close()]);
      await this.deps.recorder?.close().catch(() => undefined);
      if (stoppedReason) {
        this.apply({ type: 'stop', reason: stoppedReason });
      }
      await this.writes.catch(() => undefined);
    })();
    return this.stopping;
  }

  /** Stops and deletes everything this camera has in Redis (status hash, index entry, queued frames). */
  async remove(): Promise<void> {
    await this.stop();
    await this.deps.writer.discard().catch(() => undefined);
    const { redis, keys } = this.deps;
    await redis.multi().srem(keys.cameraIndex, this.camera.id).del(keys.cameraStatus(this.camera.id)).exec();
  }

  /** Waits until the status writes issued so far are done (tests). */
  async flushed(): Promise<void> {
    await this.writes.catch(() => undefined);
  }

  private spawn(): void {
    if (this.stopped) {
      return;
    }
    const cam = this.camera;
    const args = buildFfmpegArgs({
      url: cam.url,
      transport: this.transport?.transport,
      timing: cam.timing,
      snapshot: cam.snapshot,
      loop: cam.loop,
      realtime: cam.realtime,
      fps: cam.detect.fps,
      width: cam.detect.width,
      height: cam.detect.height,
      timeoutUs: cam.stallSeconds * 1_000_000,
      record: this.deps.recorder?.prepare(),
    });
    const proc = new FfmpegProcess(args, { ffmpegPath: this.deps.ffmpegPath });
    this.proc = proc;
    this.spawns++;
    if (this.spawns > 1) {
      this.deps.metrics.restartsTotal.inc({ camera: cam.id });
    }
    proc.on('frame', (pixels, capturedAt, size) => {
      // A run the watchdog has given up on may still deliver a last frame while dying: it must not flip the
      // state back to streaming.
      if (proc === this.proc && proc !== this.killing) {
        this.onFrame(pixels, capturedAt, size);
      } else {
        releaseFrame(pixels);
      }
    });
    proc.on('corrupt', () => {
      if (proc === this.proc) {
        this.onCorrupt();
      }
    });
    const recorder = this.deps.recorder;
    if (recorder && args.record) {
      proc.on('line', (line, at) => recorder.line(line, at));
    }
    proc.on('exit', (info) => {
      if (recorder && args.record) {
        void recorder.exited();
      }
      this.onExit(proc, info);
    });
    if (this.transport) {
      this.chain(this.deps.redis.hset(this.deps.keys.cameraStatus(cam.id), 'transport', this.transport.transport));
    }
    this.watchdog.arm();
    proc.start().then(
      () => this.deps.log.debug({ pid: proc.pid, cmd: proc.redactedCommand }, 'ffmpeg started'),
      (err: unknown) => this.deps.log.error({ err }, 'ffmpeg failed to start'),
    );
  }

  private onFrame(pixels: Buffer, capturedAt: number, size: { width: number; height: number }): void {
    this.frames++;
    this.framesSinceTick++;
    this.lastFrameAt = capturedAt;
    this.watchdog.frame();
    this.policy.streaming(capturedAt);
    this.transport?.streaming();
    this.deps.metrics.framesTotal.inc({ camera: this.camera.id });
    this.apply({ type: 'frame' });
    const writer = this.deps.writer;
    writer.push(pixels, capturedAt, size.width, size.height);
    // Pull mode (a file read at full speed): stop reading ffmpeg until the writer has room (see sourceReady).
    if (writer.full && this.proc && !this.proc.paused) {
      this.proc.pause();
      this.watchdog.hold();
    }
  }

  /** The writer has room again (pull mode): read ffmpeg's output again. */
  sourceReady(): void {
    if (this.proc?.paused) {
      this.watchdog.release();
      this.proc.resume();
    }
  }

  /** FFmpeg reported a damaged or missing frame and went on: counted, logged as a count at most once a minute. */
  private onCorrupt(): void {
    this.corrupt++;
    this.deps.metrics.corruptTotal.inc({ camera: this.camera.id });
    const now = Date.now();
    if (now - this.corruptLoggedAt >= (this.deps.corruptLogEveryMs ?? 60_000)) {
      this.deps.log.warn(
        { corrupt: this.corrupt - this.corruptLogged, total: this.corrupt },
        'corrupt or missing frames from the camera: skipped, the stream goes on',
      );
      this.corruptLogged = this.corrupt;
      this.corruptLoggedAt = now;
    }
  }

  private onStall(firstFrame: boolean, silentMs: number): void {
    if (this.stopped) {
      return;
    }
    const seconds = silentMs / 1000;
    this.apply(firstFrame ? { type: 'no-first-frame', seconds } : { type: 'stall', seconds });
    const next = firstFrame ? this.transport?.noData() : undefined;
    if (next) {
      this.deps.log.warn({ silentMs, transport: next }, `no frame over ${next === 'udp' ? 'TCP' : 'UDP'}: trying RTSP over ${next.toUpperCase()}`);
    }
    this.deps.log.warn({ silentMs, firstFrame }, firstFrame ? 'no first frame: restarting ffmpeg' : 'camera stalled: killing ffmpeg');
    this.killing = this.proc;
    void this.proc?.stop();
  }

  private onExit(proc: FfmpegProcess, info: FfmpegExitInfo): void {
    if (proc !== this.proc) {
      return;
    }
    this.watchdog.disarm();
    if (this.stopped) {
      return;
    }
    // The RTSP server refused the transport: with `auto` the other one is tried at once (not a failure).
    if (info.transportRefused && !info.killedByUs && this.transport) {
      const verdict = this.transport.refusedByServer();
      if (verdict.retry) {
        this.deps.log.warn({ transport: verdict.next }, verdict.reason);
        this.respawnTimer = setTimeout(() => this.spawn(), this.policy.minMs);
        this.respawnTimer.unref();
        return;
      }
      this.apply({ type: 'exit', fatal: true, reason: verdict.reason });
      const delay = this.policy.nextDelay(Date.now(), true);
      this.deps.log.error({ reason: verdict.reason, retryInMs: delay }, 'ffmpeg ended');
      this.respawnTimer = setTimeout(() => this.spawn(), delay);
      this.respawnTimer.unref();
      return;
    }
    // A file that is not looped and played to its end is done: replaying it would analyse the footage again.
    if (!info.killedByUs && info.code === 0 && this.camera.loop === false && (proc.args.kind === 'file' || proc.args.kind === 'images')) {
      this.apply({ type: 'exit', fatal: true, reason: 'end of file (loop: false): not restarted' });
      this.deps.log.info({ frames: this.frames }, 'file played to its end; not restarted (loop: false)');
      return;
    }
    const verdict = classifyExit(info.code, info.signal, info.stderrTail, info.killedByUs);
    if (!info.killedByUs || this.point.state === 'stalled') {
      this.apply({ type: 'exit', fatal: verdict.fatal, reason: verdict.reason });
    }
    const delay = this.policy.nextDelay(Date.now(), verdict.fatal);
    const logLevel = verdict.fatal ? 'error' : 'warn';
    this.deps.log[logLevel](
      { code: info.code, signal: info.signal, reason: verdict.reason, retryInMs: delay, stderr: info.stderrTail.slice(-3) },
      'ffmpeg ended',
    );
    this.respawnTimer = setTimeout(() => this.spawn(), delay);
    this.respawnTimer.unref();
  }

  private apply(event: CameraEvent): void {
    const next = nextState(this.point, event);
    if (!next) {
      return;
    }
    const prev = this.point.state;
    this.point = next;
    if (next.state !== prev) {
      this.deps.log.info({ from: prev, to: next.state, reason: next.reason }, 'camera state');
    }
    this.publish(false);
  }

  /** Writes the state to the status hash, then publishes it (one MULTI, in order per camera). */
  private publish(register: boolean): void {
    const { redis, keys, metrics } = this.deps;
    const cam = this.camera;
    const at = new Date().toISOString();
    const msg: CameraStateMessage = { type: 'camera', camera: cam.id, state: this.point.state, reason: redact(this.point.reason), at };
    setStateGauge(metrics, cam.id, this.point.state);
    const m = redis.multi();
    if (register) {
      m.sadd(keys.cameraIndex, cam.id);
      m.hset(keys.cameraStatus(cam.id), {
        name: cam.name ?? cam.id,
        lastFrameAt: '',
        fpsIngest: '0',
        dropped: String(this.deps.writer.dropped),
      });
    }
    m.hset(keys.cameraStatus(cam.id), { state: msg.state, reason: msg.reason, at });
    m.publish(keys.channels.camera, JSON.stringify(msg));
    this.chain(m.exec());
  }

  /** Once a second: ingest fps, last frame time and drops into the status hash and the metrics. */
  private tick(): void {
    const now = Date.now();
    const elapsed = (now - this.lastTick) / 1000;
    this.fps = elapsed > 0 ? this.framesSinceTick / elapsed : 0;
    this.framesSinceTick = 0;
    this.lastTick = now;
    const cam = this.camera;
    this.deps.metrics.ingestFps.set({ camera: cam.id }, Math.round(this.fps * 100) / 100);
    const fields: Record<string, string> = {
      fpsIngest: (Math.round(this.fps * 100) / 100).toString(),
      dropped: String(this.deps.writer.dropped),
      corrupt: String(this.corrupt),
    };
    if (this.lastFrameAt !== undefined) {
      fields.lastFrameAt = new Date(this.lastFrameAt).toISOString();
    }
    this.chain(this.deps.redis.hset(this.deps.keys.cameraStatus(cam.id), fields));
  }

  private chain(p: Promise<unknown>): void {
    this.writes = this.writes
      .then(() => p)
      .catch((err: unknown) => this.deps.log.debug({ err: err instanceof Error ? err.message : String(err) }, 'status write failed'));
  }
}
