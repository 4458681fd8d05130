/**
 * Watches a camera's frame arrivals: no frame for `stallMs` while streaming (or no first frame within
 * `firstFrameMs` of a spawn) calls `onStall` once. The supervisor then marks the camera `stalled` and kills ffmpeg
 * (SIGTERM, then SIGKILL: FFmpeg 5.1 ignores the first SIGTERM while blocked on a silent socket).
 */

/** Options of {@link StallWatchdog}. */
export interface StallWatchdogOptions {
  /** No frame for this long while streaming = stalled (ms). */
  stallMs: number;
  /** No first frame this long after a spawn = give up on this run (ms). @defaultValue 2 x stallMs */
  firstFrameMs?: number;
  /** How often to check (ms). @defaultValue min(1000, stallMs / 5) */
  checkMs?: number;
  /** Clock. @defaultValue Date.now */
  now?: () => number;
  /** Called once per armed period; `firstFrame` tells which limit passed, `silentMs` how long it was silent. */
  onStall: (info: { firstFrame: boolean; silentMs: number }) => void;
}

/** Pure check: which limit (if any) has passed. */
export function stallCheck(
  now: number,
  armedAt: number,
  lastFrameAt: number | undefined,
  stallMs: number,
  firstFrameMs: number,
): { firstFrame: boolean; silentMs: number } | undefined {
  if (lastFrameAt === undefined) {
    const silent = now - armedAt;
    return silent >= firstFrameMs ? { firstFrame: true, silentMs: silent } : undefined;
  }
  const silent = now - lastFrameAt;
  return silent >= stallMs ? { firstFrame: false, silentMs: silent } : undefined;
}

/** The timer around {@link stallCheck}; arm it at each spawn, feed it each frame, disarm it at exit. */
export class StallWatchdog {
  readonly stallMs: number;
  readonly firstFrameMs: number;
  private readonly checkMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private armedAt = 0;
  private lastFrameAt: number | undefined;
  private holding = false;

  constructor(private readonly options: StallWatchdogOptions) {
    if (!(options.stallMs > 0)) {
      throw new TypeError(`StallWatchdog: stallMs must be > 0 (got ${options.stallMs})`);
    }
    this.stallMs = options.stallMs;
    this.firstFrameMs = options.firstFrameMs ?? 2 * options.stallMs;
    this.checkMs = options.checkMs ?? Math.max(20, Math.min(1000, options.stallMs / 5));
    this.now = options.now ?? Date.now;
  }

  /** Starts watching a new ffmpeg run. */
  arm(): void {
    this.disarm();
    this.armedAt = this.now();
    this.lastFrameAt = undefined;
    this.holding = false;
    this.timer = setInterval(() => this.check(), this.checkMs);
    this.timer.unref();
  }

  /** A frame arrived. */
  frame(): void {
    this.lastFrameAt = this.now();
  }

  /** The source is paused on purpose (backpressure): silence is not a stall until `release()`. */
  hold(): void {
    this.holding = true;
  }

  /** The source reads again: the silence limit counts from now. */
  release(): void {
    if (this.holding) {
      this.holding = false;
      if (this.lastFrameAt !== undefined) {
        this.lastFrameAt = this.now();
      }
    }
  }

  /** Stops watching (the run ended). */
  disarm(): void {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Whether a run is being watched. */
  get armed(): boolean {
    return this.timer !== undefined;
  }

  private check(): void {
    if (this.holding) {
      return;
    }
    const hit = stallCheck(this.now(), this.armedAt, this.lastFrameAt, this.stallMs, this.firstFrameMs);
    if (hit) {
      this.disarm();
      this.options.onStall(hit);
    }
  }
}
