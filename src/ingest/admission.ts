/**
 * Frame admission: how frames reach the detectors, the way a hand-written multi-camera loop would feed them.
 *
 * Each camera keeps its newest frame in memory (a mailbox of one: a newer frame replaces it, the replaced one is
 * counted as `superseded`) and has at most one TICKET waiting in the BullMQ frames queue. A ticket carries no frame:
 * the detect worker that takes it binds the camera's newest frame at that moment (late binding) — from memory when
 * the worker runs in this process (`LocalFrames`), else by asking this process for it (a frame request, answered
 * by {@link FrameAdmission}'s frame server). So:
 * - the detectors always get each camera's newest frame, however long its ticket waited;
 * - cameras are served in the order their tickets were queued (the camera waiting longest first): a busy camera
 *   cannot starve a quiet one, and what waits is one ticket per camera, not frames;
 * - admission is bounded by what the detectors take: frames are bound only when a worker has room;
 * - a frame that is never detected costs its decoding and nothing more: no conversion, no copy, no Redis write.
 * A camera has at most `maxInFlight` frames bound (being detected) and tickets waiting together.
 *
 * Pull mode (a file read at full speed, `realtime: false`): frames wait in order (up to `maxInFlight`), each gets a
 * ticket, the oldest is bound first, nothing is dropped, and `full` asks the source to pause.
 *
 * Tickets taken by a worker that then died (SIGKILLed detect process) are noticed within about a second (the
 * ticket is active in BullMQ but its frame was never asked for) and replaced, so the camera goes on at once.
 */
import { Queue } from 'bullmq';
import type Redis from 'ioredis';
import { releaseFrame } from '../core/frame-pool';
import { encodeFrameReply, parseFrameRequest } from '../core/frame-wire';
import type { Keys } from '../core/keys';
import type { BoundFrame, FrameBinder, LocalFrames } from '../core/local-frames';
import type { Logger } from '../core/logger';
import type { FrameTicket } from '../core/types';
import type { DropReason, IngestMetrics } from './metrics';

/** Per-camera settings. */
export interface CameraAdmissionOptions {
  camera: string;
  /** Frames being detected plus tickets waiting, at most. */
  maxInFlight: number;
  /** First sequence number. @defaultValue Date.now(), so numbers keep increasing across restarts and owners */
  firstSeq?: number;
  /** Frames wait in order and are never dropped; `full` asks the source to pause. @defaultValue false */
  pull?: boolean;
  /** Pull mode: called when there is room again (the source may resume). */
  onReady?: () => void;
  /** False while the camera's lease is unconfirmed: frames are dropped (reason `lease`), no ticket is queued. */
  mayWrite?: () => boolean;
}

/** Process-wide settings. */
export interface FrameAdmissionOptions {
  /** Command connection (ticket state checks, answers to frame requests). */
  redis: Redis;
  /** Connection BullMQ uses for the queue. */
  queueRedis: Redis;
  /** A connection of its own for the blocking read of frame requests. */
  serveRedis: Redis;
  keys: Keys;
  metrics: IngestMetrics;
  /** This process's instance id (tickets name it as the frames' owner). */
  owner: string;
  local: LocalFrames;
  log: Logger;
  /** A ticket taken by a worker that did not ask for its frame within this long is replaced (ms). @defaultValue 1000 */
  recoverAfterMs?: number;
  /** Interval of the check for such tickets (ms). @defaultValue 250 */
  recoverEveryMs?: number;
  /** TTL of answers to frame requests nobody picked up (ms). @defaultValue 5000 */
  replyTtlMs?: number;
}

interface Pending {
  pixels: Buffer;
  capturedAt: number;
  width: number;
  height: number;
}

/** The frame queue of this process's cameras, and the server of their frames to other processes. */
export class FrameAdmission {
  readonly queue: Queue<FrameTicket>;
  private readonly cameras = new Map<string, CameraAdmission>();
  private closed = false;
  private serving: Promise<void> | undefined;
  private recoverTimer: NodeJS.Timeout | undefined;

  constructor(readonly options: FrameAdmissionOptions) {
    this.queue = new Queue<FrameTicket>(options.keys.queues.frames, { connection: options.queueRedis, prefix: options.keys.bullPrefix });
    // Errors surface on each add; without a listener an 'error' event would be thrown.
    this.queue.on('error', () => undefined);
  }

  /** Starts serving frame requests of other processes and checking for lost tickets. */
  start(): void {
    this.serving ??= this.serve();
    const every = this.options.recoverEveryMs ?? 250;
    this.recoverTimer = setInterval(() => void this.recover().catch(() => undefined), every);
    this.recoverTimer.unref();
  }

  /** A camera's admission; its frames become bindable by this process's detect stage. */
  forCamera(options: CameraAdmissionOptions): CameraAdmission {
    const cam = new CameraAdmission(this, options);
    this.cameras.get(options.camera)?.detach();
    this.cameras.set(options.camera, cam);
    this.options.local.register(options.camera, cam);
    return cam;
  }

  /** @internal a camera closed */
  forget(cam: CameraAdmission): void {
    if (this.cameras.get(cam.camera) === cam) {
      this.cameras.delete(cam.camera);
    }
    this.options.local.unregister(cam.camera, cam);
  }

  /** Stops serving; every camera's waiting tickets are removed. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.recoverTimer) {
      clearInterval(this.recoverTimer);
    }
    await Promise.allSettled([...this.cameras.values()].map((c) => c.close()));
    // The blocking read ends within its timeout.
    await this.serving;
    await this.queue.close();
  }

  /** Answers frame requests of detect workers in other processes (see the module comment). */
  private async serve(): Promise<void> {
    const { serveRedis, redis, keys, owner, log } = this.options;
    const ttl = this.options.replyTtlMs ?? 5000;
    const list = keys.frameRequests(owner);
    while (!this.closed) {
      let raw: [string, string] | null;
      try {
        raw = await serveRedis.blpop(list, 0.5);
      } catch (err) {
        if (!this.closed) {
          log.debug({ err: (err as Error).message }, 'frame request read failed');
          await new Promise((r) => setTimeout(r, 200));
        }
        continue;
      }
      if (!raw) {
        continue;
      }
      const req = parseFrameRequest(raw[1]);
      if (!req) {
        log.warn('malformed frame request ignored');
        continue;
      }
      const cam = this.cameras.get(req.camera);
      const frame = cam?.bind(req.ticket);
      let answer: Buffer;
      if (frame) {
        const { pixels, ...meta } = frame;
        answer = encodeFrameReply(req.req, meta, pixels);
        // The answer holds a copy: the frame's slot is free again, and its place in the camera's budget with it.
        cam!.done(frame.key);
        releaseFrame(pixels);
      } else {
        answer = encodeFrameReply(req.req);
      }
      const to = keys.frameReplies(req.from);
      redis
        .multi()
        .rpush(to, answer)
        .pexpire(to, ttl)
        .exec()
        .catch((err: Error) => log.debug({ err: err.message }, 'frame answer not written'));
    }
  }

  /**
   * Tickets waiting longer than `recoverAfterMs` are checked in BullMQ: one taken by a worker (active) whose frame
   * was never asked for, or one that is gone (Redis lost it), is forgotten and replaced. Tickets still waiting in
   * the queue stay where they are (that wait is the fair share of an overloaded detector).
   */
  private async recover(): Promise<void> {
    const after = this.options.recoverAfterMs ?? 1000;
    const now = Date.now();
    const check: Array<{ cam: CameraAdmission; id: string }> = [];
    for (const cam of this.cameras.values()) {
      // A frame that waits for a ticket nobody could queue (Redis was away, the lease was unconfirmed) gets one now.
      cam.kick();
      for (const id of cam.ticketsOlderThan(now - after)) {
        check.push({ cam, id });
      }
    }
    if (check.length === 0 || this.options.redis.status !== 'ready') {
      return;
    }
    const pipe = this.options.redis.pipeline();
    for (const c of check) {
      pipe.hmget(this.queue.toKey(c.id), 'timestamp', 'processedOn');
    }
    const res = (await pipe.exec()) ?? [];
    check.forEach((c, i) => {
      const [err, val] = res[i] ?? [null, null];
      if (err) {
        return;
      }
      const [ts, processedOn] = (val as Array<string | null> | null) ?? [null, null];
      if (ts === null) {
        c.cam.lostTicket(c.id, 'gone');
      } else if (processedOn !== null) {
        c.cam.lostTicket(c.id, 'taken by a worker that never asked for the frame');
      }
    });
  }
}

/**
 * One camera's admission: its mailbox, its tickets and its frames being detected (see the module comment).
 * `push` never blocks and never throws.
 */
export class CameraAdmission implements FrameBinder {
  readonly camera: string;
  private mailbox: Pending[] = [];
  /** Tickets queued (or being queued) and not bound yet: id → when queued. */
  private readonly waiting = new Map<string, number>();
  /** Frames bound by this process's detect stage and not done yet (keys). */
  private readonly bound = new Set<string>();
  private nextSeq: number;
  private nextTicket: number;
  private closed = false;
  /** Tickets queued. */
  queued = 0;
  /** Frames dropped, by any reason. */
  dropped = 0;
  /** Frames bound to tickets (handed to a detector). */
  admitted = 0;
  /** Last Redis error message (for the status), if any. */
  lastError: string | undefined;

  constructor(
    private readonly a: FrameAdmission,
    readonly options: CameraAdmissionOptions,
  ) {
    if (!Number.isInteger(options.maxInFlight) || options.maxInFlight < 1) {
      throw new TypeError(`maxInFlight must be an integer >= 1 (got ${options.maxInFlight})`);
    }
    this.camera = options.camera;
    this.nextSeq = options.firstSeq ?? Date.now();
    this.nextTicket = Date.now();
  }

  /** Frames being detected plus tickets waiting. */
  get depth(): number {
    return this.bound.size + this.waiting.size;
  }

  /** Pull mode: the source should pause (every place is taken). Always false in live mode. */
  get full(): boolean {
    return this.options.pull === true && this.mailbox.length >= this.options.maxInFlight;
  }

  /** Hands a frame over (the buffer must not be modified afterwards; this camera gives it back to its pool). */
  push(pixels: Buffer, capturedAt: number, width: number, height: number): void {
    if (this.closed) {
      releaseFrame(pixels);
      return;
    }
    if (this.options.mayWrite && !this.options.mayWrite()) {
      releaseFrame(pixels);
      this.drop('lease');
      return;
    }
    if (this.options.pull !== true) {
      for (const old of this.mailbox.splice(0)) {
        releaseFrame(old.pixels);
        this.drop('superseded');
      }
    }
    this.mailbox.push({ pixels, capturedAt, width, height });
    this.post();
  }

  /** A worker took ticket `ticketId`: the newest frame (the oldest in pull mode), or undefined when none waits. */
  bind(ticketId: string): BoundFrame | undefined {
    const queuedAt = this.waiting.get(ticketId);
    this.waiting.delete(ticketId);
    const f = this.options.pull === true ? this.mailbox.shift() : this.mailbox.pop();
    if (!f) {
      this.post();
      return undefined;
    }
    const seq = this.nextSeq++;
    const key = this.a.options.keys.frame(this.camera, seq);
    this.bound.add(key);
    this.admitted++;
    const frame: BoundFrame = {
      camera: this.camera,
      seq,
      capturedAt: f.capturedAt,
      queuedAt: Math.max(queuedAt ?? f.capturedAt, f.capturedAt),
      key,
      width: f.width,
      height: f.height,
      format: 'rgb24',
      pixels: f.pixels,
    };
    if (this.options.pull === true && this.mailbox.length < this.options.maxInFlight) {
      this.options.onReady?.();
    }
    this.post();
    return frame;
  }

  /** The detect stage is done with a frame it bound: its place frees. */
  done(key: string): void {
    if (this.bound.delete(key)) {
      this.setDepth();
      this.post();
    }
  }

  /** @internal queues a ticket if a frame waits for one (after a failed add or a paused lease) */
  kick(): void {
    this.post();
  }

  /** @internal tickets queued before `t` and not bound yet */
  ticketsOlderThan(t: number): string[] {
    const out: string[] = [];
    for (const [id, at] of this.waiting) {
      if (at < t) {
        out.push(id);
      }
    }
    return out;
  }

  /** @internal a ticket will never be bound: replace it */
  lostTicket(id: string, why: string): void {
    if (this.waiting.delete(id)) {
      this.a.options.log.debug({ camera: this.camera, ticket: id, why }, 'frame ticket lost: queued again');
      this.post();
    }
  }

  /** Stops taking frames; waiting frames go back to the pool and waiting tickets are removed from the queue. */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.detach();
    for (const f of this.mailbox.splice(0)) {
      releaseFrame(f.pixels);
    }
    const ids = [...this.waiting.keys()];
    this.waiting.clear();
    await Promise.allSettled(ids.map((id) => this.a.queue.remove(id)));
    this.a.options.metrics.queueDepth.set({ camera: this.camera }, 0);
  }

  /** Same as close (the camera is removed: nothing of it stays in Redis). */
  async discard(): Promise<void> {
    await this.close();
  }

  /** @internal stops being the camera's binder (a newer admission of the same camera took over) */
  detach(): void {
    this.a.forget(this);
  }

  /** Queues tickets while frames wait for one and the camera has room. */
  private post(): void {
    const max = this.options.maxInFlight;
    while (
      !this.closed &&
      this.mailbox.length > this.waiting.size &&
      this.waiting.size + this.bound.size < max &&
      (!this.options.mayWrite || this.options.mayWrite())
    ) {
      const id = `${this.camera}.${this.nextTicket++}`; // BullMQ refuses custom ids with one ":"
      const now = Date.now();
      this.waiting.set(id, now);
      const ticket: FrameTicket = { camera: this.camera, owner: this.a.options.owner, queuedAt: now };
      this.a.queue.add(this.camera, ticket, { jobId: id, removeOnComplete: true, removeOnFail: true }).then(
        () => {
          this.queued++;
          this.lastError = undefined;
        },
        (err: unknown) => {
          this.lastError = err instanceof Error ? err.message : String(err);
          if (this.waiting.delete(id)) {
            // No ticket for the frame waiting: it is dropped (a newer frame queues a ticket again).
            const f = this.options.pull === true ? undefined : this.mailbox.pop();
            if (f) {
              releaseFrame(f.pixels);
            }
            this.drop('redis_error');
          }
        },
      );
    }
    this.setDepth();
  }

  private drop(reason: DropReason): void {
    this.dropped++;
    this.a.options.metrics.droppedTotal.inc({ camera: this.camera, reason });
  }

  private setDepth(): void {
    this.a.options.metrics.queueDepth.set({ camera: this.camera }, this.depth);
  }
}
