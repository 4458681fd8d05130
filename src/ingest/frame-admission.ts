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
import type { BoundFrame, LocalFrames } from '../core/local-frames';
import type { Logger } from '../core/logger';
import type { FrameTicket } from '../core/types';
import { CameraAdmission, type CameraAdmissionOptions } from './camera-admission';
import { type FreshCandidate, FreshFirst } from './fresh-first';
import type { IngestMetrics } from './metrics';

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

/** The frame queue of this process's cameras, and the server of their frames to other processes. */
export class FrameAdmission {
  readonly queue: Queue<FrameTicket>;
  private readonly cameras = new Map<string, CameraAdmission>();
  private readonly fresh = new FreshFirst();
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
      this.fresh.forget(cam.camera);
    }
    this.options.local.unregister(cam.camera, cam);
  }

  /**
   * @internal a worker took ticket `ticketId`, queued for `label`'s camera: binds the frame of the camera FreshFirst
   * picks (fresh-first.ts: fair share, then the freshest frame) among this process's live cameras with a frame
   * waiting. When that is another camera, it lends its own oldest waiting ticket to the ticket's holder, so the two
   * swap places in the queue and no camera loses its turn. Pull-mode cameras always bind their own oldest frame.
   */
  bindTicket(label: CameraAdmission, ticketId: string): BoundFrame | undefined {
    let holder = label;
    if (!label.holds(ticketId)) {
      // The ticket was lent to another camera when the one it was queued for was served in that camera's place.
      for (const c of this.cameras.values()) {
        if (c.holds(ticketId)) {
          holder = c;
          break;
        }
      }
    }
    if (holder.options.pull === true || !holder.holds(ticketId)) {
      return holder.bindOwn(ticketId);
    }
    const candidates: FreshCandidate[] = [];
    const own = holder.servable;
    if (own !== undefined) {
      candidates.push({ camera: holder.camera, capturedAt: own, keepsUp: holder.keepsUp });
    }
    for (const c of this.cameras.values()) {
      const at = c === holder || !c.hasTicket ? undefined : c.servable;
      if (at !== undefined) {
        candidates.push({ camera: c.camera, capturedAt: at, keepsUp: c.keepsUp });
      }
    }
    const pick = this.fresh.pick(candidates);
    const chosen = pick === undefined ? undefined : this.cameras.get(pick);
    if (!chosen || chosen === holder) {
      return holder.bindOwn(ticketId);
    }
    return chosen.bindInPlaceOf(holder, ticketId);
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
        this.cameras.get(frame.camera)?.done(frame.key);
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
