/**
 * The tracker's side of held pixels (core/held-frames.ts): a detection result with a `holder` names the detect
 * process that keeps its frame's pixels. `get` asks that process for them (a request on
 * `keys.pixelRequests(holder)`, the answer on this process's list `keys.pixelReplies(me)`, read by one blocking
 * reader that hands each answer to its request); `release` tells it the frame is done with, batched per holder into
 * one message every `flushMs`. A holder that did not answer in time (it stopped or died) is asked nothing more for
 * `deadForMs`: its frames read as gone at once instead of holding the camera's tracker for a timeout each.
 */
import type Redis from 'ioredis';
import { FrameReplies } from '../core/frame-replies';
import { MAX_RELEASE, type PixelRequest } from '../core/frame-wire';
import type { Keys } from '../core/keys';
import type { Logger } from '../core/logger';

/** Options of the client. */
export interface HeldPixelsOptions {
  /** A live holder answers within milliseconds; a dead one must not hold a tracker long. @defaultValue 500 */
  timeoutMs?: number;
  /** Releases wait at most this long to leave together. @defaultValue 50 */
  flushMs?: number;
  /** How long a holder that timed out is taken for gone. @defaultValue 5000 */
  deadForMs?: number;
  /** A request list nobody reads (its holder died) leaves Redis after this long. @defaultValue 10000 */
  requestTtlMs?: number;
}

export class HeldPixels {
  private readonly replies: FrameReplies;
  private readonly releases = new Map<string, string[]>();
  private readonly deadUntil = new Map<string, number>();
  private flushTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly timeoutMs: number;
  private readonly flushMs: number;
  private readonly deadForMs: number;
  private readonly requestTtlMs: number;

  /**
   * @param redis - command connection
   * @param blocking - a connection of its own for the blocking read of answers (used from the first `get` on)
   */
  constructor(
    private readonly redis: Redis,
    blocking: Redis,
    private readonly keys: Keys,
    private readonly me: string,
    private readonly log: Logger,
    options: HeldPixelsOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 500;
    this.flushMs = options.flushMs ?? 50;
    this.deadForMs = options.deadForMs ?? 5000;
    this.requestTtlMs = options.requestTtlMs ?? 10_000;
    this.replies = new FrameReplies(blocking, keys.pixelReplies(me), log, 'pixel');
  }

  /** The pixels of frame `key` held by `holder` (a copy of its own), or undefined when they are gone. */
  async get(holder: string, key: string, now = Date.now()): Promise<Buffer | undefined> {
    if (this.closed || (this.deadUntil.get(holder) ?? 0) > now) {
      return undefined;
    }
    const { req, answer, cancel } = this.replies.expect(this.timeoutMs);
    this.push(holder, { get: key, req, from: this.me }).catch(() => cancel());
    const r = await answer;
    if (r === 'timeout') {
      this.deadUntil.set(holder, Date.now() + this.deadForMs);
      this.log.debug({ holder, frame: key }, 'the detect process holding the pixels did not answer');
      return undefined;
    }
    if (r === 'cancelled') {
      return undefined;
    }
    this.deadUntil.delete(holder);
    return r.frame?.key === key ? r.pixels : undefined;
  }

  /** The tracker is done with frame `key`: its holder may give the pixels back (sent within `flushMs`). */
  release(holder: string, key: string): void {
    if (this.closed) {
      return;
    }
    let keys = this.releases.get(holder);
    if (!keys) {
      keys = [];
      this.releases.set(holder, keys);
    }
    keys.push(key);
    if (keys.length >= MAX_RELEASE) {
      this.flush();
    } else {
      this.flushTimer ??= setTimeout(() => this.flush(), this.flushMs);
    }
  }

  /** Sends the releases waiting now. */
  flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const [holder, keys] of this.releases) {
      this.push(holder, { release: keys }).catch((err: Error) => this.log.debug({ err: err.message, holder }, 'pixel release not sent'));
    }
    this.releases.clear();
  }

  /** Sends the last releases and stops reading answers (asks still waiting answer undefined). */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.flush();
    this.closed = true;
    this.replies.cancelAll();
    await this.replies.close();
  }

  private async push(holder: string, msg: PixelRequest): Promise<void> {
    const list = this.keys.pixelRequests(holder);
    await this.redis.multi().rpush(list, JSON.stringify(msg)).pexpire(list, this.requestTtlMs).exec();
  }
}
