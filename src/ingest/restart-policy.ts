/**
 * Pure: when to respawn a camera's ffmpeg. Exponential backoff with full jitter (the AWS "full jitter" scheme, as
 * in bullmq's `backoffs.ts`): the n-th retry waits a uniform random time in [0, min(cap, base * 2^n)], so the first
 * retry comes within `baseMs`. The attempt counter resets once a stream has stayed up for `stableMs`. Errors that
 * retrying cannot fix (401/403/404 from the camera, a bad URL, a missing file) are retried slowly, every
 * `failedRetryMs` (with jitter), so a camera fixed on the far side comes back by itself.
 */

/** Options of {@link RestartPolicy}. */
export interface RestartPolicyOptions {
  /** Upper bound of the first retry's delay (ms). @defaultValue 1000 */
  baseMs?: number;
  /** Cap of the delay (ms). @defaultValue 60_000 */
  capMs?: number;
  /** A stream that ran this long resets the backoff (ms). @defaultValue 30_000 */
  stableMs?: number;
  /** Delay between retries of a camera in `failed` (ms). @defaultValue 60_000 */
  failedRetryMs?: number;
  /** Smallest delay, so a crashing ffmpeg never spins (ms). @defaultValue 100 */
  minMs?: number;
  /** Random source in [0, 1). @defaultValue Math.random */
  random?: () => number;
}

/** Backoff state of one camera. */
export class RestartPolicy {
  readonly baseMs: number;
  readonly capMs: number;
  readonly stableMs: number;
  readonly failedRetryMs: number;
  readonly minMs: number;
  private readonly random: () => number;
  private attempt = 0;
  private streamingSince: number | undefined;

  constructor(options: RestartPolicyOptions = {}) {
    this.baseMs = options.baseMs ?? 1000;
    this.capMs = options.capMs ?? 60_000;
    this.stableMs = options.stableMs ?? 30_000;
    this.failedRetryMs = options.failedRetryMs ?? 60_000;
    this.minMs = options.minMs ?? 100;
    this.random = options.random ?? Math.random;
    for (const [k, v] of Object.entries({ baseMs: this.baseMs, capMs: this.capMs, stableMs: this.stableMs, failedRetryMs: this.failedRetryMs })) {
      if (!(v > 0) || !Number.isFinite(v)) {
        throw new TypeError(`RestartPolicy: ${k} must be a positive number (got ${v})`);
      }
    }
    if (this.capMs < this.baseMs) {
      throw new TypeError('RestartPolicy: capMs must be >= baseMs');
    }
  }

  /** Retries made since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The stream delivered frames from `now` on (first frame after a spawn). */
  streaming(now: number): void {
    this.streamingSince ??= now;
  }

  /**
   * The process ended at `now`; returns how long to wait before the next spawn (ms).
   * @param fatal - the error cannot be fixed by retrying (camera `failed`)
   */
  nextDelay(now: number, fatal = false): number {
    if (this.streamingSince !== undefined && now - this.streamingSince >= this.stableMs) {
      this.attempt = 0;
    }
    this.streamingSince = undefined;
    if (fatal) {
      this.attempt++;
      // Jitter in [0.5, 1) x the slow period, so many failed cameras do not retry in lockstep.
      return Math.round(this.failedRetryMs * (0.5 + this.random() / 2));
    }
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.max(this.minMs, Math.round(this.random() * ceiling));
  }

  /** Forgets every failure (used when the camera's config changes). */
  reset(): void {
    this.attempt = 0;
    this.streamingSince = undefined;
  }
}

/** Why an ffmpeg run ended, derived from its exit and its last stderr lines. */
export interface ExitClassification {
  /** Retrying with the same config cannot help (the camera goes to `failed`). */
  fatal: boolean;
  /** Short reason without credentials, e.g. `401 Unauthorized`, `connection refused`, `stream ended`. */
  reason: string;
}

const FATAL_PATTERNS: Array<[RegExp, string]> = [
  [/401 Unauthorized/i, '401 Unauthorized (check the camera credentials)'],
  [/403 Forbidden/i, '403 Forbidden'],
  [/404 Not Found/i, '404 Not Found (check the stream path)'],
  [/No such file or directory/i, 'no such file'],
  [/Protocol not found/i, 'unsupported protocol'],
  [/Invalid argument/i, 'invalid URL or option'],
  [/Permission denied/i, 'permission denied'],
  [/Failed to resolve hostname|Name or service not known|nodename nor servname/i, 'cannot resolve the camera host'],
];

const RETRY_PATTERNS: Array<[RegExp, string]> = [
  [/Connection refused/i, 'connection refused'],
  [/Connection timed out|timed out/i, 'connection timed out'],
  [/Connection reset/i, 'connection reset'],
  [/No route to host|Network is unreachable/i, 'network unreachable'],
  [/End of file|EOF/i, 'stream ended'],
  [/Invalid data found/i, 'invalid data from the camera'],
];

/**
 * Classifies how ffmpeg ended. `stderrTail` holds its last lines (they may contain the URL; the reason returned
 * never does).
 */
export function classifyExit(code: number | null, signal: string | null, stderrTail: readonly string[], killedByUs = false): ExitClassification {
  if (killedByUs) {
    return { fatal: false, reason: 'ffmpeg stopped by the supervisor' };
  }
  const text = stderrTail.join('\n');
  for (const [re, reason] of FATAL_PATTERNS) {
    if (re.test(text)) {
      return { fatal: true, reason };
    }
  }
  for (const [re, reason] of RETRY_PATTERNS) {
    if (re.test(text)) {
      return { fatal: false, reason };
    }
  }
  if (signal) {
    return { fatal: false, reason: `ffmpeg killed by ${signal}` };
  }
  if (code === 0) {
    // FFmpeg 5.1 exits 0 without a message when the RTSP server goes away.
    return { fatal: false, reason: 'stream ended' };
  }
  return { fatal: false, reason: `ffmpeg exited with code ${code}` };
}
