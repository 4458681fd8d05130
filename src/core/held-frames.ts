/**
 * Detected frames whose pixels a detect process keeps for the camera's tracker in another process, instead of
 * writing every frame's pixels to Redis: the tracker asks for the few it needs (an alert's snapshot, a live frame,
 * the camera's still) and says which it is done with (track/held-pixels.ts, detect/pixel-server.ts). Pure (no I/O).
 *
 * Bounded twice, for a tracker that is gone or far behind: each camera keeps at most `perCamera(camera)` frames (the
 * oldest goes first; this bounds the memory) and `sweep` gives back frames older than their camera's age limit. Ownership of a pixel buffer moves here with
 * `hold`; `release`, eviction and `sweep` give it back to its frame pool.
 */
import { releaseFrame } from './frame-pool';
import type { BoundFrame } from './local-frames';

interface Entry {
  frame: BoundFrame;
  at: number;
}

/** The held frames of one detect process. */
export class HeldFrames {
  /** Camera → its held frames by key, oldest first (Map keeps insertion order). */
  private readonly cameras = new Map<string, Map<string, Entry>>();
  private readonly byKey = new Map<string, Map<string, Entry>>();
  /** Frames given back before their tracker released them (evicted by the per-camera bound or by age). */
  evicted = 0;

  /** @param perCamera - how many frames a camera may have held at once (at least 1) */
  constructor(private readonly perCamera: (camera: string) => number) {}

  /** Frames held now. */
  get size(): number {
    return this.byKey.size;
  }

  /** Holds a detected frame (its pixels are owned here from now on). Answers how many older frames were evicted. */
  hold(frame: BoundFrame, now = Date.now()): number {
    this.release(frame.key);
    let cam = this.cameras.get(frame.camera);
    if (!cam) {
      cam = new Map();
      this.cameras.set(frame.camera, cam);
    }
    cam.set(frame.key, { frame, at: now });
    this.byKey.set(frame.key, cam);
    const max = Math.max(1, Math.floor(this.perCamera(frame.camera)) || 1);
    let n = 0;
    for (const key of cam.keys()) {
      if (cam.size <= max) {
        break;
      }
      this.drop(key);
      n++;
    }
    this.evicted += n;
    return n;
  }

  /** The held frame named `key` (still owned here: copy the pixels before anything else runs), or undefined. */
  get(key: string): BoundFrame | undefined {
    return this.byKey.get(key)?.get(key)?.frame;
  }

  /** The tracker is done with the frame: its pixels go back to their pool. Answers whether it was held. */
  release(key: string): boolean {
    return this.drop(key);
  }

  /** Gives back frames held longer than `maxAgeMs` (of their camera). Answers how many. */
  sweep(maxAgeMs: number | ((camera: string) => number), now = Date.now()): number {
    let n = 0;
    for (const [camera, cam] of [...this.cameras]) {
      const maxAge = typeof maxAgeMs === 'number' ? maxAgeMs : maxAgeMs(camera);
      for (const [key, e] of cam) {
        // Oldest first: the first young one ends the camera's sweep.
        if (now - e.at <= maxAge) {
          break;
        }
        this.drop(key);
        n++;
      }
    }
    this.evicted += n;
    return n;
  }

  /** Gives every frame back (the stage stops). Answers how many. */
  clear(): number {
    const n = this.byKey.size;
    for (const key of [...this.byKey.keys()]) {
      this.drop(key);
    }
    return n;
  }

  private drop(key: string): boolean {
    const cam = this.byKey.get(key);
    const e = cam?.get(key);
    if (!cam || !e) {
      return false;
    }
    cam.delete(key);
    this.byKey.delete(key);
    if (cam.size === 0) {
      this.cameras.delete(e.frame.camera);
    }
    releaseFrame(e.frame.pixels);
    return true;
  }
}
