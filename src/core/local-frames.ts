/**
 * Frames that stay in this process's memory between its stages. Pure (no I/O).
 *
 * - Ingest → detect: each camera this process ingests registers a {@link FrameBinder}. A detect worker of this
 *   process that takes one of its tickets binds the camera's newest frame from here: no pixels written to Redis,
 *   none read back, and the frame's place frees the moment `done` is called.
 * - Detect → track: when this process also tracks the camera, the detect stage keeps the detected frame's pixels
 *   here (`keep`) for the tracker's snapshot or live frame instead of writing them to Redis; the tracker gives them
 *   back (`release`) once the frame is processed. Frames nobody releases (a tracker that stopped meanwhile) go
 *   back to their pool after `sweep`'s age.
 *
 * Ownership of a pixel buffer moves with it: `bind` hands it to the caller; `keep` takes it; `release` and `sweep`
 * give it back to its frame pool.
 */
import { releaseFrame } from './frame-pool';
import type { FrameJob } from './types';

/** A frame bound to a ticket, with its pixels (owned by the caller). */
export interface BoundFrame extends FrameJob {
  pixels: Buffer;
}

/** What an ingest camera offers to this process's detect stage. */
export interface FrameBinder {
  /** The frame for the ticket `ticketId` (the newest, or the oldest in pull mode), or undefined when there is none. */
  bind(ticketId: string): BoundFrame | undefined;
  /** The detect stage is done with a frame it bound (detected, dropped or failed). */
  done(key: string): void;
}

interface Kept {
  pixels: Buffer;
  at: number;
}

/** This process's in-memory frames (see the module comment). */
export class LocalFrames {
  private readonly binders = new Map<string, FrameBinder>();
  private readonly kept = new Map<string, Kept>();

  /** Cameras whose frames this process holds. */
  get cameras(): number {
    return this.binders.size;
  }

  /** Frames kept for the tracker now. */
  get keptCount(): number {
    return this.kept.size;
  }

  /** Registers the binder of a camera this process ingests. */
  register(camera: string, binder: FrameBinder): void {
    this.binders.set(camera, binder);
  }

  /** Unregisters it (only if it is still the registered one). */
  unregister(camera: string, binder: FrameBinder): void {
    if (this.binders.get(camera) === binder) {
      this.binders.delete(camera);
    }
  }

  /** Binds a frame of a camera this process ingests, or undefined (not ingested here, or no frame waiting). */
  bind(camera: string, ticketId: string): BoundFrame | undefined {
    return this.binders.get(camera)?.bind(ticketId);
  }

  /** A bound frame is done: its camera may admit the next one. */
  done(camera: string, key: string): void {
    this.binders.get(camera)?.done(key);
  }

  /** Keeps a detected frame's pixels for this process's tracker (ownership moves here). */
  keep(key: string, pixels: Buffer, now = Date.now()): void {
    const prev = this.kept.get(key);
    if (prev && prev.pixels !== pixels) {
      releaseFrame(prev.pixels);
    }
    this.kept.set(key, { pixels, at: now });
  }

  /** The kept pixels of a frame (still owned here), or undefined. */
  peek(key: string): Buffer | undefined {
    return this.kept.get(key)?.pixels;
  }

  /** The tracker is done with a frame: its pixels go back to their pool. */
  release(key: string): void {
    const k = this.kept.get(key);
    if (k) {
      this.kept.delete(key);
      releaseFrame(k.pixels);
    }
  }

  /** Gives back frames kept longer than `maxAgeMs` (their tracker stopped or lost the camera). Returns how many. */
  sweep(maxAgeMs: number, now = Date.now()): number {
    let n = 0;
    for (const [key, k] of this.kept) {
      if (now - k.at > maxAgeMs) {
        this.kept.delete(key);
        releaseFrame(k.pixels);
        n++;
      }
    }
    return n;
  }
}
