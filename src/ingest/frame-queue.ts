import { Queue } from 'bullmq';
import type Redis from 'ioredis';
import type { Keys } from '../core/keys';
import { releaseFrame } from '../core/frame-pool';
import type { LocalFrames } from '../core/local-frames';
import type { FrameJob } from '../core/types';
import { FrameStore } from './frame-store';
import type { DropReason, IngestMetrics } from './metrics';

/**
 * The frame queue (protocol of the team brief): pixels in Redis under `keys.frame(camera, seq)` with a TTL, and a
 * BullMQ job on `keys.queues.frames` (prefix `keys.bullPrefix`, name = camera, id `camera:seq`, data = FrameJob).
 * At most `maxInFlight` frames of a camera are waiting or in flight. When a frame comes and the camera is at its
 * limit, it waits in a one-frame mailbox in memory (a newer frame replaces it, the replaced one counted as a
 * `backpressure` drop) and is written as soon as a slot frees, checked on the next frame and on a short timer, so
 * Redis only ever holds frames that will be detected. When the camera stays blocked for `evictAfterMs` (nobody
 * consumes, or jobs wait behind other cameras'), the oldest job still waiting is removed instead (the newest frame
 * wins), its pixels deleted and the drop counted.
 *
 * A camera in `pull` mode (a file read at full speed, `realtime: false`) never drops: frames wait in order and the
 * writer reports `full`, so the source pauses until `onReady` (backpressure instead of drops, the way the bench's
 * bare loop reads its file). With `local` (ingest and detect in one process) every frame written is also registered
 * there, so this process's detect stage can take the pixels without reading them back and free the slot at once.
 */

/** Per-camera settings of the queue. */
export interface CameraQueueOptions {
  camera: string;
  /** Frames waiting for or in detection at once. */
  maxInFlight: number;
  /** TTL of the pixel keys (s), a safety net only. */
  frameTtlSeconds: number;
  /** First sequence number. @defaultValue Date.now(), so numbers keep increasing across restarts */
  firstSeq?: number;
  /** How long a camera stays blocked at its limit before its oldest waiting job is replaced (ms). @defaultValue 200 */
  evictAfterMs?: number;
  /** Interval of the free-slot check while a frame waits in the mailbox (ms). @defaultValue 8 */
  recheckMs?: number;
  /** Backpressure instead of drops: frames queue up in order and `full` asks the source to pause. @defaultValue false */
  pull?: boolean;
  /** Called when the frames waiting in memory have all been handed to Redis (the source may resume). */
  onReady?: () => void;
  /** False while the camera's lease is unconfirmed: frames are dropped (reason `lease`), nothing is written. */
  mayWrite?: () => boolean;
}

/** In-process hand-off settings of a {@link FrameQueue}. */
export interface LocalHandOff {
  frames: LocalFrames;
  /** Register the pixels too (a detect stage runs in this process), not only the done callback. */
  sharePixels: boolean;
}

/** The frame queue shared by every camera of this process. */
export class FrameQueue {
  readonly queue: Queue<FrameJob>;
  readonly store: FrameStore;

  /**
   * @param redis - command connection (pixels, job states)
   * @param queueRedis - connection BullMQ uses for the queue
   */
  constructor(
    readonly redis: Redis,
    queueRedis: Redis,
    readonly keys: Keys,
    readonly metrics: IngestMetrics,
    readonly local?: LocalHandOff,
  ) {
    // The pixels and the job go over the queue's connection: one socket keeps them in order (the job is never
    // visible before its pixels) and the SET and the job's script leave in one write.
    this.store = new FrameStore(queueRedis, keys);
    this.queue = new Queue<FrameJob>(keys.queues.frames, { connection: queueRedis, prefix: keys.bullPrefix });
    // Errors surface on each add; without a listener an 'error' event would be thrown.
    this.queue.on('error', () => undefined);
  }

  /** A per-camera writer. */
  forCamera(options: CameraQueueOptions): CameraFrameWriter {
    return new CameraFrameWriter(this, options);
  }

  /** Closes the BullMQ queue (the connections belong to the caller). */
  async close(): Promise<void> {
    await this.queue.close();
  }
}

interface InFlight {
  id: string;
  key: string;
}

interface PendingFrame {
  pixels: Buffer;
  capturedAt: number;
  width: number;
  height: number;
}

/**
 * Writes one camera's frames. `push` never blocks and never throws: one Redis round trip sequence runs at a time per
 * camera, and meanwhile, or while the camera is at its `maxInFlight` limit, at most one newer frame waits in memory
 * (a frame it replaces is dropped as `busy`, or as `backpressure` when the camera is at its limit). In pull mode
 * frames wait in order instead and `full` tells the source to pause.
 */
export class CameraFrameWriter {
  private readonly inflight: InFlight[] = [];
  private pending: PendingFrame[] = [];
  private running: Promise<void> | undefined;
  private recheck: NodeJS.Timeout | undefined;
  /** Since when the camera is at its limit with a frame in the mailbox (0: not blocked). */
  private blockedSince = 0;
  private nextSeq: number;
  private closed = false;
  /** A frame is being written to Redis. */
  private writing = 0;
  /** Jobs the last prune had to ask Redis about (0: all were being detected in this process). */
  private asked = 0;
  /** When a prune last found a job finished by another process (0: never). */
  private remoteDoneAt = 0;
  /** Frames stored and queued. */
  queued = 0;
  /** Frames dropped, by any reason. */
  dropped = 0;
  /** Last Redis error message (for the status), if any. */
  lastError: string | undefined;

  constructor(
    private readonly q: FrameQueue,
    readonly options: CameraQueueOptions,
  ) {
    if (!Number.isInteger(options.maxInFlight) || options.maxInFlight < 1) {
      throw new TypeError(`maxInFlight must be an integer >= 1 (got ${options.maxInFlight})`);
    }
    this.nextSeq = options.firstSeq ?? Date.now();
  }

  /** Frames of this camera waiting or in flight as last seen. */
  get depth(): number {
    return this.inflight.length;
  }

  /**
   * Pull mode: whether the source should pause (frames wait in memory and every slot is taken or being filled).
   * Always false in live mode, where newer frames replace waiting ones instead.
   */
  get full(): boolean {
    return (
      this.options.pull === true &&
      this.pending.length > 0 &&
      this.inflight.length + this.writing + this.pending.length >= this.options.maxInFlight
    );
  }

  /** Hands a frame over. The buffer must not be modified afterwards. */
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
    if (this.pending.length > 0 && this.options.pull !== true) {
      for (const old of this.pending.splice(0)) {
        releaseFrame(old.pixels);
      }
      this.drop(this.inflight.length >= this.options.maxInFlight ? 'backpressure' : 'busy');
    }
    this.pending.push({ pixels, capturedAt, width, height });
    this.kick();
  }

  /** Waits for the frame being written, then stops taking frames. */
  async close(): Promise<void> {
    this.closed = true;
    for (const f of this.pending.splice(0)) {
      releaseFrame(f.pixels);
    }
    this.clearRecheck();
    await this.running;
  }

  private kick(): void {
    this.clearRecheck();
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  private clearRecheck(): void {
    if (this.recheck) {
      clearTimeout(this.recheck);
      this.recheck = undefined;
    }
  }

  /** Deletes the pixels and jobs this writer still has waiting (used when the camera is removed). */
  async discard(): Promise<void> {
    await this.close();
    const left = this.inflight.splice(0);
    for (const f of left) {
      this.q.local?.frames.forget(f.key);
      await this.q.queue.remove(f.id).catch(() => 0);
    }
    await this.q.store.delete(...left.map((f) => f.key)).catch(() => undefined);
    this.q.metrics.queueDepth.set({ camera: this.options.camera }, 0);
  }

  /** This process's detect stage is done with a frame: its slot is free now (no need to wait for a prune). */
  private release(key: string): void {
    const i = this.inflight.findIndex((f) => f.key === key);
    if (i >= 0) {
      this.inflight.splice(i, 1);
      this.setDepth();
    }
    if (this.pending.length > 0 && !this.closed) {
      this.kick();
    }
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0 && !this.closed) {
      const frame = this.pending[0];
      let room: boolean;
      try {
        room = await this.makeRoom();
      } catch (err) {
        if (this.pending[0] === frame) {
          this.pending.shift();
          releaseFrame(frame.pixels);
        }
        this.fail(err);
        continue;
      }
      if (!room) {
        // The frame stays in the mailbox until a slot frees (next frame, a done signal or the timer checks again).
        if (!this.closed) {
          // With a detect stage in this process its done signal kicks the writer. Job states are polled fast only
          // for frames another process may be detecting: some in flight are not taken here and another process has
          // finished frames of this camera within the last 10 s. Otherwise the poll is only a safety net.
          const remote = !this.q.local?.sharePixels || (this.asked > 0 && Date.now() - this.remoteDoneAt < 10_000);
          const every = remote ? (this.options.recheckMs ?? 8) : 250;
          this.recheck = setTimeout(() => {
            this.recheck = undefined;
            this.kick();
          }, every);
          this.recheck.unref?.();
        }
        return;
      }
      // In live mode a newer frame may have replaced this one meanwhile (the replaced one is counted already).
      const next = this.pending.shift();
      if (!next) {
        continue;
      }
      this.writing++;
      if (this.pending.length === 0) {
        this.options.onReady?.();
      }
      try {
        await this.write(next);
      } catch (err) {
        this.fail(err);
      } finally {
        this.writing--;
      }
    }
  }

  private fail(err: unknown): void {
    this.lastError = err instanceof Error ? err.message : String(err);
    this.drop('redis_error');
  }

  /**
   * True when the camera has a free slot: the local count says so, or a prune finds finished jobs, or the camera has
   * been blocked for `evictAfterMs` and its oldest waiting job was removed to make room (newest frame wins).
   */
  private async makeRoom(): Promise<boolean> {
    const { maxInFlight } = this.options;
    if (this.inflight.length < maxInFlight) {
      this.blockedSince = 0;
      return true;
    }
    this.asked = await this.prune();
    if (this.inflight.length < maxInFlight) {
      this.blockedSince = 0;
      return true;
    }
    const now = Date.now();
    if (this.blockedSince === 0) {
      this.blockedSince = now;
    }
    if (now - this.blockedSince >= (this.options.evictAfterMs ?? 200) && (await this.evictOldestWaiting())) {
      this.blockedSince = 0;
      return true;
    }
    this.setDepth();
    return false;
  }

  private async write(frame: PendingFrame): Promise<void> {
    const { camera, frameTtlSeconds } = this.options;
    const seq = this.nextSeq++;
    const key = this.q.store.key(camera, seq);
    const job: FrameJob = {
      camera,
      seq,
      capturedAt: frame.capturedAt,
      queuedAt: Date.now(),
      key,
      width: frame.width,
      height: frame.height,
      format: 'rgb24',
    };
    const id = `${camera}.${seq}`; // BullMQ refuses custom ids with one ":"
    // Registered before the job exists, so this process's detect stage always finds it. With sharePixels the
    // registry owns the frame buffer from here (the detect stage or forget() gives it back to its pool).
    const local = this.q.local;
    const shared = local?.sharePixels === true;
    local?.frames.add(key, shared ? frame.pixels : undefined, () => this.release(key));
    // SET then the job, on one connection without waiting in between: Redis runs them in that order.
    const [put, add] = await Promise.allSettled([
      this.q.store.put(camera, seq, frame.pixels, frameTtlSeconds),
      this.q.queue.add(camera, job, { jobId: id, removeOnComplete: true, removeOnFail: 100 }),
    ]);
    if (!shared) {
      // Redis has the bytes (or the write failed): nobody here reads them again.
      releaseFrame(frame.pixels);
    }
    if (put.status === 'rejected' || add.status === 'rejected') {
      local?.frames.forget(key);
      if (add.status === 'fulfilled') {
        await this.q.queue.remove(id).catch(() => 0);
      }
      await this.q.store.delete(key).catch(() => undefined);
      throw put.status === 'rejected' ? put.reason : (add as PromiseRejectedResult).reason;
    }
    this.inflight.push({ id, key });
    this.queued++;
    this.lastError = undefined;
    this.setDepth();
  }

  /**
   * Forgets jobs that are finished (completed jobs are removed; failed ones have `finishedOn`). Frames a detect stage
   * of this process is working on are skipped: its done signal frees them. Returns how many jobs it had to ask Redis.
   */
  private async prune(): Promise<number> {
    const local = this.q.local?.frames;
    const check = local ? this.inflight.filter((f) => !local.isTaken(f.key)) : this.inflight;
    if (check.length === 0) {
      return 0;
    }
    const pipe = this.q.redis.pipeline();
    for (const f of check) {
      pipe.hmget(this.q.queue.toKey(f.id), 'timestamp', 'finishedOn');
    }
    const res = (await pipe.exec()) ?? [];
    const gone = new Set<InFlight>();
    check.forEach((f, i) => {
      const [err, val] = res[i] ?? [null, null];
      const [ts, finished] = (val as Array<string | null> | null) ?? [null, null];
      if (!err && (ts === null || finished !== null)) {
        gone.add(f);
        local?.forget(f.key);
        this.remoteDoneAt = Date.now();
      }
    });
    if (gone.size > 0) {
      const keep = this.inflight.filter((f) => !gone.has(f));
      this.inflight.splice(0, this.inflight.length, ...keep);
    }
    return check.length;
  }

  /** Removes the oldest job still waiting; false when every job in flight is locked by a worker. */
  private async evictOldestWaiting(): Promise<boolean> {
    if (this.options.pull === true) {
      return false;
    }
    for (let i = 0; i < this.inflight.length; i++) {
      const f = this.inflight[i];
      const removed = await this.q.queue.remove(f.id);
      if (removed === 1) {
        this.inflight.splice(i, 1);
        this.q.local?.frames.forget(f.key);
        await this.q.store.delete(f.key);
        this.drop('backpressure');
        return true;
      }
    }
    return false;
  }

  private drop(reason: DropReason): void {
    this.dropped++;
    this.q.metrics.droppedTotal.inc({ camera: this.options.camera, reason });
  }

  private setDepth(): void {
    this.q.metrics.queueDepth.set({ camera: this.options.camera }, this.inflight.length);
  }
}
