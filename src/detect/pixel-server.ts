/**
 * Holds the pixels of frames this detect process detected for a camera tracked in another process
 * (core/held-frames.ts), and serves them to its tracker: one blocking
 * reader on `keys.pixelRequests(me)` answers each `get` on the asker's list (`keys.pixelReplies(from)`, the same
 * binary answer as a frame request's: core/frame-wire.ts) and gives back the frames named in each `release`.
 * Pixels are in Redis only while they cross, and only for the frames a tracker asked for.
 *
 * Per camera at most a second of frames at its detect fps are held (at least MIN_PER_CAMERA; this bounds the
 * memory), none longer than the camera's `frameTtlSeconds`. A live tracker releases a frame within a few tens of ms
 * of its result; the bounds only matter while the camera's tracker is gone or far behind.
 */
import type Redis from 'ioredis';
import { encodeFrameReply, parsePixelRequest } from '../core/frame-wire';
import { HeldFrames } from '../core/held-frames';
import type { Keys } from '../core/keys';
import type { BoundFrame } from '../core/local-frames';
import type { Logger } from '../core/logger';
import type { DetectMetrics } from '../core/metrics';

/** Frames a camera may have held at least, whatever its fps. */
export const MIN_PER_CAMERA = 4;

/** What the server counts. */
export interface PixelServerCounts {
  /** `get`s answered with the pixels. */
  served: number;
  /** `get`s for a frame no longer held (released, evicted, never held here). */
  gone: number;
  /** Frames given back by `release` messages. */
  released: number;
  /** Requests that were not one (ignored). */
  malformed: number;
}

export class PixelServer {
  readonly counts: PixelServerCounts = { served: 0, gone: 0, released: 0, malformed: 0 };
  readonly held: HeldFrames;
  private closed = false;
  private serving: Promise<void> | undefined;
  private evictedCounted = 0;

  /**
   * @param redis - command connection (answers)
   * @param blocking - a connection of its own for the blocking read of requests
   * @param cameras - the cameras in effect (detect fps, frameTtlSeconds)
   * @param replyTtlMs - an answer nobody reads (its asker died) leaves Redis after this long
   */
  constructor(
    private readonly redis: Redis,
    private readonly blocking: Redis,
    private readonly keys: Keys,
    private readonly me: string,
    private readonly cameras: { get(id: string): { detect: { fps: number }; frameTtlSeconds: number } | undefined },
    private readonly log: Logger,
    private readonly replyTtlMs = 5000,
  ) {
    this.held = new HeldFrames((camera) => Math.max(MIN_PER_CAMERA, Math.ceil(this.cameras.get(camera)?.detect.fps ?? 0)));
  }

  /** Holds a detected frame for its tracker (the pixels are owned here from now on). */
  hold(frame: BoundFrame): void {
    this.held.hold(frame);
  }

  /** Gives back frames held past their camera's `frameTtlSeconds`; updates the gauges. Call about once a second. */
  sweep(m?: Pick<DetectMetrics, 'heldFrames' | 'heldEvicted'>): void {
    this.held.sweep((camera) => (this.cameras.get(camera)?.frameTtlSeconds ?? 30) * 1000);
    m?.heldFrames.set(this.held.size);
    m?.heldEvicted.inc(this.held.evicted - this.evictedCounted);
    this.evictedCounted = this.held.evicted;
  }

  /** Starts answering (idempotent). */
  start(): void {
    this.serving ??= this.serve();
  }

  /** Stops answering (the blocking read ends within its timeout) and gives every held frame back. */
  async close(): Promise<void> {
    this.closed = true;
    await this.serving;
    this.held.clear();
  }

  /** Handles one request (exported for the reader and for tests). */
  handle(raw: string): void {
    const req = parsePixelRequest(raw);
    if (!req) {
      this.counts.malformed++;
      this.log.warn('malformed pixel request ignored');
      return;
    }
    if ('release' in req) {
      for (const key of req.release) {
        if (this.held.release(key)) {
          this.counts.released++;
        }
      }
      return;
    }
    const frame = this.held.get(req.get);
    let answer: Buffer;
    if (frame) {
      const { pixels, ...meta } = frame;
      // The answer holds a copy: the frame stays held until its tracker releases it.
      answer = encodeFrameReply(req.req, meta, pixels);
      this.counts.served++;
    } else {
      answer = encodeFrameReply(req.req);
      this.counts.gone++;
    }
    const to = this.keys.pixelReplies(req.from);
    this.redis
      .multi()
      .rpush(to, answer)
      .pexpire(to, this.replyTtlMs)
      .exec()
      .catch((err: Error) => this.log.debug({ err: err.message }, 'pixel answer not written'));
  }

  private async serve(): Promise<void> {
    const list = this.keys.pixelRequests(this.me);
    while (!this.closed) {
      let raw: [string, string] | null;
      try {
        raw = await this.blocking.blpop(list, 0.5);
      } catch (err) {
        if (!this.closed) {
          this.log.debug({ err: (err as Error).message }, 'pixel request read failed');
          await new Promise((r) => setTimeout(r, 200));
        }
        continue;
      }
      if (raw) {
        this.handle(raw[1]);
      }
    }
  }
}
