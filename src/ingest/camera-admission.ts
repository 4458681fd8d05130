/**
 * One camera's frame admission: its mailbox of newest frames, its tickets in the frames queue and its frames being
 * detected. The process-wide side (the queue, the frame server, lost tickets) is FrameAdmission
 * (frame-admission.ts), whose module comment explains the whole scheme.
 */
import type { Queue } from 'bullmq';
import { releaseFrame } from '../core/frame-pool';
import type { Keys } from '../core/keys';
import type { BoundFrame, FrameBinder } from '../core/local-frames';
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

/** What a camera's admission uses of the process-wide FrameAdmission (frame-admission.ts). */
export interface AdmissionHost {
  readonly options: { keys: Keys; log: Logger; metrics: IngestMetrics; owner: string };
  readonly queue: Pick<Queue<FrameTicket>, 'add' | 'remove'>;
  forget(cam: CameraAdmission): void;
  /** Binds the frame for a ticket this camera holds: its own newest frame, or another camera's (fresh-first.ts). */
  bindTicket(holder: CameraAdmission, ticketId: string): BoundFrame | undefined;
}

interface Pending {
  pixels: Buffer;
  capturedAt: number;
  width: number;
  height: number;
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
  /** Share of the last ~10 frames superseded before a detector took them (moving average). */
  private supersededShare = 0;
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
    private readonly a: AdmissionHost,
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
      const superseded = this.mailbox.length > 0;
      for (const old of this.mailbox.splice(0)) {
        releaseFrame(old.pixels);
        this.drop('superseded');
      }
      this.supersededShare = 0.9 * this.supersededShare + (superseded ? 0.1 : 0);
    }
    this.mailbox.push({ pixels, capturedAt, width, height });
    this.post();
  }

  /**
   * A worker took ticket `ticketId`, which this camera holds: the frame to detect, or undefined when none waits. In
   * live mode the process's fair, freshest-first choice (FrameAdmission, fresh-first.ts) may serve another of its
   * cameras with it.
   */
  bind(ticketId: string): BoundFrame | undefined {
    return this.a.bindTicket(this, ticketId);
  }

  /** @internal binds this camera's newest frame (the oldest in pull mode) to its ticket `ticketId`. */
  bindOwn(ticketId: string): BoundFrame | undefined {
    const queuedAt = this.waiting.get(ticketId);
    this.waiting.delete(ticketId);
    return this.bindFrame(queuedAt);
  }

  /** @internal live mode, not closed, writing, with a frame waiting: its capture time, else undefined. */
  get servable(): number | undefined {
    if (this.closed || this.options.pull === true || (this.options.mayWrite && !this.options.mayWrite())) {
      return undefined;
    }
    return this.mailbox[this.mailbox.length - 1]?.capturedAt;
  }

  /** @internal whether the detectors keep up with this camera: under a quarter of its recent frames superseded. */
  get keepsUp(): boolean {
    return this.supersededShare < 0.25;
  }

  /** @internal whether a ticket of this camera waits (it can lend one to the camera served in its place). */
  get hasTicket(): boolean {
    return this.waiting.size > 0;
  }

  /**
   * @internal serves this camera with `holder`'s ticket `ticketId`, giving `holder` its own oldest waiting ticket in
   * exchange: `holder`'s place in the queue becomes the one this camera had. Without a ticket to lend (callers pick
   * only cameras that have one) `holder` is served itself.
   */
  bindInPlaceOf(holder: CameraAdmission, ticketId: string): BoundFrame | undefined {
    const first = this.waiting.entries().next();
    if (first.done) {
      return holder.bindOwn(ticketId);
    }
    const [lent, lentAt] = first.value;
    this.waiting.delete(lent);
    const queuedAt = holder.waiting.get(ticketId);
    holder.waiting.delete(ticketId);
    holder.waiting.set(lent, lentAt);
    return this.bindFrame(queuedAt);
  }

  /** @internal whether ticket `id` is one this camera holds. */
  holds(id: string): boolean {
    return this.waiting.has(id);
  }

  private bindFrame(queuedAt: number | undefined): BoundFrame | undefined {
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
